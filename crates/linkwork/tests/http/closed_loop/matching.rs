//! The match page over the real server: the assessment keeps interests in the person's own
//! words and what suits them, matching applies them as filters, says what it left out and
//! why, and relaxes one preference when asked; the service page shows what Linkwork read.

use crate::helpers::*;
use directory::oruk::{Location, ServiceAtLocation};
use reqwest::StatusCode;
use storage::Actor;

/// Saves a free service `km` kilometres north of the person's home.
async fn service(app: &TestApp, name: &str, description: &str, km: f64) -> String {
    timed(app, name, description, km, None).await
}

/// As [`service`], meeting weekly at `(day, opens, closes)` when given.
async fn timed(
    app: &TestApp,
    name: &str,
    description: &str,
    km: f64,
    when: Option<(&str, &str, &str)>,
) -> String {
    let mut e = directory::Entry::new(name);
    e.service.description = Some(description.into());
    if let Some((day, opens, closes)) = when {
        e.service.schedules = vec![directory::oruk::Schedule {
            id: directory::validate::derived_id(&[&e.service.id, "schedule"]),
            freq: Some("WEEKLY".into()),
            byday: Some(day.into()),
            opens_at: Some(opens.into()),
            closes_at: Some(closes.into()),
            ..Default::default()
        }];
    }
    let id = e.service.id.clone();
    e.service.service_at_locations = vec![ServiceAtLocation {
        id: directory::validate::derived_id(&[&id, "sal"]),
        location: Some(Location {
            id: directory::validate::derived_id(&[&id, "loc"]),
            location_type: "physical".into(),
            latitude: Some(HOME.0 + km / 111.2),
            longitude: Some(HOME.1),
            ..Default::default()
        }),
        ..Default::default()
    }];
    let saved = app
        .state
        .directory
        .save(&e, &Actor::system("test"))
        .await
        .unwrap();
    saved.service.id
}

const HOME: (f64, f64) = (53.8210, -1.5700);

pub async fn match_page_applies_what_suits_them(app: &TestApp) {
    app.store
        .import_postcodes(&[("LS6 2AB".to_string(), HOME.0, HOME.1)])
        .await
        .unwrap();
    let ground = service(
        app,
        "Ground Floor Lunch Club",
        "A hot lunch club for people who would like company. Step-free access.",
        1.0,
    )
    .await;
    let upstairs = service(
        app,
        "Upstairs Lunch Club",
        "A hot lunch club for people who would like company. First floor hall, no lift.",
        1.2,
    )
    .await;
    service(
        app,
        "Valley Befriending",
        "Befriending visits for people who are isolated.",
        15.0,
    )
    .await;
    timed(
        app,
        "Twilight Lunch Club",
        "A hot lunch club for people who would like company, held in the evening. Step-free access.",
        1.0,
        Some(("TU", "18:00", "20:00")),
    )
    .await;
    service(
        app,
        "Bike Workshop",
        "Fixing bikes together: tools and tea provided.",
        2.0,
    )
    .await;
    app.state.directory.refresh().await.unwrap();

    let mut lw = signed_in(app, "lw").await;
    let person = refer(&mut lw, "Ada", "Match").await;
    let ep = first_episode(app, person).await.id;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut form = vec![
        ("assessed_on", today.as_str()),
        (
            "what_matters",
            "Since my husband died the house is too quiet",
        ),
        ("score_loneliness", "4"),
        ("interest_words", "fixing bikes"),
        ("step_free", "yes"),
        ("max_miles", "far"),
    ];
    // A distance that is not a number is refused, named, and nothing is saved.
    let bad = lw.post(&format!("/episodes/{ep}/assessment"), &form).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("number of miles"), "{}", bad.body);
    form[5].1 = "3";
    let ok = lw.post(&format!("/episodes/{ep}/assessment"), &form).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    let page = lw.get(&format!("/episodes/{ep}/match")).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("Ground Floor Lunch Club"), "{body}");
    assert!(
        body.contains("Bike Workshop"),
        "interest in their own words: {body}"
    );
    assert!(
        body.contains("Matches their interest in fixing bikes"),
        "{body}"
    );
    assert!(
        !body.contains("Upstairs Lunch Club"),
        "not step-free: {body}"
    );
    assert!(!body.contains("Valley Befriending"), "over 3 miles: {body}");
    assert!(
        body.contains("1 more service fit but is not step-free"),
        "{body}"
    );
    assert!(body.contains("fit but is over 3 miles away"), "{body}");
    // Distances in miles, with the right plural.
    assert!(body.contains("0.6 miles"), "1 km is 0.6 miles: {body}");
    assert!(!body.contains(" km"), "{body}");
    assert!(body.contains("relax=step_free"), "{body}");

    // Relaxing step-free shows the upstairs club, saying so.
    let relaxed = lw
        .get(&format!(
            "/episodes/{ep}/match?filtered=1&distance_miles=3&step_free=yes&relax=step_free"
        ))
        .await;
    assert!(
        relaxed.body.contains("Upstairs Lunch Club"),
        "{}",
        relaxed.body
    );
    assert!(relaxed.body.contains("Not step-free (step-free relaxed)"));
    assert!(relaxed.body.contains("Apply every preference again"));

    // Times of day: the evening club is left out for someone who can make mornings, and
    // says when it runs for someone who can make evenings.
    let evening = lw.get(&format!("/episodes/{ep}/match")).await;
    assert!(
        evening.body.contains("Twilight Lunch Club"),
        "{}",
        evening.body
    );
    let mornings = lw
        .get(&format!(
            "/episodes/{ep}/match?filtered=1&distance_miles=3&step_free=yes&time=morning"
        ))
        .await;
    assert!(
        !mornings.body.contains("Twilight Lunch Club"),
        "{}",
        mornings.body
    );
    assert!(
        mornings
            .body
            .contains("1 more service fit but does not run when they can make it"),
        "{}",
        mornings.body
    );
    let evenings = lw
        .get(&format!(
            "/episodes/{ep}/match?filtered=1&distance_miles=3&step_free=yes&time=evening"
        ))
        .await;
    assert!(
        evenings.body.contains("Runs in the evenings"),
        "{}",
        evenings.body
    );
    // Saved on the assessment, the times apply by default.
    form.push(("times", "morning"));
    let ok = lw.post(&format!("/episodes/{ep}/assessment"), &form).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let saved = lw.get(&format!("/episodes/{ep}/match")).await;
    assert!(
        !saved.body.contains("Twilight Lunch Club"),
        "{}",
        saved.body
    );
    assert!(saved.body.contains("times of day they can make"));

    // The reassessment starts from what suits them.
    let again = lw.get(&format!("/episodes/{ep}/assessment")).await;
    assert!(again.body.contains("value=\"5\""), "{}", again.body);
    assert!(again.body.contains("fixing bikes"));

    // The service page says what Linkwork read from the listing, with its words.
    let s = lw.get(&format!("/directory/services/{upstairs}")).await;
    assert!(
        s.body.contains("How Linkwork reads this listing"),
        "{}",
        s.body
    );
    assert!(s.body.contains("Not step-free"));
    assert!(s.body.contains("First floor hall, no lift"));
    let g = lw.get(&format!("/directory/services/{ground}")).await;
    assert!(
        g.body.contains("Lunch clubs and community meals"),
        "{}",
        g.body
    );
}
