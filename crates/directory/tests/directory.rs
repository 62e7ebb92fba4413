//! Directory behaviour on both storage engines: ORUK import (every example file), round
//! trip, broken feeds, idempotent re-import, partner links and search.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

use directory::oruk::{CostOption, Location, Schedule, ServiceAtLocation};
use directory::{Directory, Entry, Listing, SearchQuery, Sort};
use domain::{AccessFeature, Category, ReferralMode, Weekday};
use std::path::PathBuf;
use std::sync::Arc;
use storage::{Actor, Storage};

fn standards() -> PathBuf {
    let p = std::env::var_os("LINKWORK_ORUK_STANDARDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/standards/oruk-3.0")
        });
    assert!(
        p.join("examples").is_dir(),
        "ORUK standards not found at {} (set LINKWORK_ORUK_STANDARDS)",
        p.display()
    );
    p
}

fn actor() -> Actor {
    Actor::system("test")
}

async fn open(store: Arc<dyn Storage>) -> Directory {
    Directory::open(store, None).await.unwrap()
}

pub async fn every_example_file_imports(store: Arc<dyn Storage>) {
    let dir = open(store.clone()).await;
    let mut files: Vec<_> = std::fs::read_dir(standards().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for f in &files {
        let parsed = directory::parse_json(&std::fs::read(f).unwrap()).unwrap();
        let fatal: Vec<_> = parsed.problems.iter().filter(|p| p.fatal).collect();
        assert!(fatal.is_empty(), "{}: {fatal:?}", f.display());
        dir.import(
            &parsed,
            &f.display().to_string(),
            &Listing::default(),
            &actor(),
        )
        .await
        .unwrap();
    }
    let s = dir
        .entry("ac148810-d857-441c-9679-408f346de14b")
        .await
        .unwrap()
        .expect("the example service is stored");
    assert_eq!(s.service.name, "Community Counselling");
    assert_eq!(s.service.schedules.len(), 1);
    assert_eq!(
        s.service.organization.as_ref().unwrap().name,
        "Example Organization Inc."
    );
    // The example's latitude 100 is impossible: the location is kept without coordinates.
    let loc = s.service.service_at_locations[0].location.as_ref().unwrap();
    assert_eq!(loc.latitude, None);
    assert!(dir
        .taxonomies()
        .await
        .unwrap()
        .iter()
        .any(|t| t.id == "5c4d79d7-cc55-470e-9f1f-8cad074e4892"));
    assert!(dir
        .terms()
        .await
        .unwrap()
        .iter()
        .any(|t| t.id == "3f7b145d-84af-42d7-8fae-eaca714b02b2"));
    let sal = store
        .dir_service_for_location("e94c9f38-1e8f-4564-91d4-d53501ab1765")
        .await
        .unwrap();
    assert_eq!(sal.as_deref(), Some("ac148810-d857-441c-9679-408f346de14b"));
}

pub async fn import_export_import_round_trip(store: Arc<dyn Storage>) {
    let a = open(store).await;
    for f in [
        "service_full.json",
        "organization_full.json",
        "service_at_location_full.json",
    ] {
        let parsed =
            directory::parse_json(&std::fs::read(standards().join("examples").join(f)).unwrap())
                .unwrap();
        a.import(&parsed, f, &Listing::default(), &actor())
            .await
            .unwrap();
    }
    seed(&a).await;
    let feed1 =
        serde_json::to_value(directory::export::feed(&a.all_entries().await.unwrap())).unwrap();
    assert!(feed1["total_items"].as_u64().unwrap() >= 5);
    let (b_store, _tmp) = storage_tests::sqlite().await;
    let b = open(b_store).await;
    let parsed = directory::parse_json(feed1.to_string().as_bytes()).unwrap();
    assert!(
        parsed.problems.iter().all(|p| !p.fatal),
        "{:?}",
        parsed.problems
    );
    b.import(&parsed, "feed1", &Listing::default(), &actor())
        .await
        .unwrap();
    let feed2 =
        serde_json::to_value(directory::export::feed(&b.all_entries().await.unwrap())).unwrap();
    assert_eq!(feed1, feed2);
}

pub async fn broken_feed_keeps_the_good_records(store: Arc<dyn Storage>) {
    let dir = open(store).await;
    let feed = serde_json::json!({
        "total_items": 3, "total_pages": 1, "page_number": 1, "size": 3,
        "first_page": true, "last_page": true, "empty": false,
        "contents": [
            {"id": "11111111-2222-4333-8444-555555555555", "name": "Good group", "status": "active"},
            {"id": "11111111-2222-4333-8444-555555555556", "name": "Bad ages", "status": "active",
             "minimum_age": 70, "maximum_age": 18},
            {"id": "11111111-2222-4333-8444-555555555557", "name": "Bad status", "status": "maybe"}
        ]
    });
    let parsed = directory::parse_json(feed.to_string().as_bytes()).unwrap();
    let report: Vec<String> = parsed.problems.iter().map(ToString::to_string).collect();
    assert!(
        report
            .iter()
            .any(|r| r.contains("555556") && r.contains("maximum_age")),
        "{report:?}"
    );
    assert!(
        report
            .iter()
            .any(|r| r.contains("555557") && r.contains("status")),
        "{report:?}"
    );
    let counts = dir
        .import(&parsed, "broken", &Listing::default(), &actor())
        .await
        .unwrap();
    assert_eq!(counts.created, 1);
    assert!(dir
        .entry("11111111-2222-4333-8444-555555555555")
        .await
        .unwrap()
        .is_some());
    assert!(dir
        .entry("11111111-2222-4333-8444-555555555556")
        .await
        .unwrap()
        .is_none());
}

pub async fn reimport_updates_and_keeps_listing(store: Arc<dyn Storage>) {
    let dir = open(store).await;
    let bytes = std::fs::read(standards().join("examples/service_full.json")).unwrap();
    let parsed = directory::parse_json(&bytes).unwrap();
    let first = dir
        .import(&parsed, "a", &Listing::default(), &actor())
        .await
        .unwrap();
    assert_eq!((first.created, first.updated), (1, 0));
    let mut e = dir
        .entry("ac148810-d857-441c-9679-408f346de14b")
        .await
        .unwrap()
        .unwrap();
    e.listing.capacity = domain::ServiceCapacity::Full;
    dir.save(&e, &actor()).await.unwrap();
    let second = dir
        .import(&parsed, "a", &Listing::default(), &actor())
        .await
        .unwrap();
    assert_eq!((second.created, second.updated), (0, 1));
    let e = dir
        .entry("ac148810-d857-441c-9679-408f346de14b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        e.listing.capacity,
        domain::ServiceCapacity::Full,
        "listing kept"
    );
    assert_eq!(dir.all_entries().await.unwrap().len(), 1);
}

pub async fn partners_see_only_their_organisations_services(store: Arc<dyn Storage>) {
    let dir = open(store.clone()).await;
    let ids = seed(&dir).await;
    let p1 = store.create_partner_org("Green Steps").await.unwrap();
    let e = dir.entry(&ids[0]).await.unwrap().unwrap();
    let org = e.service.organization_id.clone().unwrap();
    store
        .link_partner(&org, Some(p1.id), &actor())
        .await
        .unwrap();
    let mine = store.dir_services_for_partner(p1.id).await.unwrap();
    assert!(!mine.is_empty());
    assert!(mine
        .iter()
        .all(|s| s.organization_id.as_deref() == Some(&org)));
    let e = dir.entry(&ids[0]).await.unwrap().unwrap();
    assert_eq!(e.partner_org_id, Some(p1.id));
    let stale = directory::Entry {
        version: e.version - 1,
        ..e.clone()
    };
    assert!(
        dir.save(&stale, &actor()).await.is_err(),
        "stale edit refused"
    );
}

pub async fn spreadsheet_reimport_keeps_what_the_sheet_does_not_say(store: Arc<dyn Storage>) {
    let dir = open(store).await;
    let csv = "service_name,organization_name,days,opens_at,closes_at,categories\n\
               Allotment Friends,Green Steps,WE,10:00,12:00,gardening\n";
    let p = directory::csv_import::parse_csv(csv.as_bytes()).unwrap();
    let first = directory::import_csv(
        &dir,
        &p.parsed,
        &p.listings,
        Some(&p.columns),
        "sheet",
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(first.created, 1);
    let id = p.parsed.services[0].id.clone();
    let mut e = dir.entry(&id).await.unwrap().unwrap();
    e.listing.retired_on = Some(directory::today());
    e.listing.capacity = domain::ServiceCapacity::Full;
    e.listing.public = false;
    dir.save(&e, &actor()).await.unwrap();
    let again = directory::import_csv(
        &dir,
        &p.parsed,
        &p.listings,
        Some(&p.columns),
        "sheet",
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!((again.created, again.updated), (0, 1));
    let e = dir.entry(&id).await.unwrap().unwrap();
    assert!(
        e.listing.is_retired(),
        "a re-import does not bring a retired service back"
    );
    assert_eq!(
        e.listing.capacity,
        domain::ServiceCapacity::Full,
        "no capacity column: kept"
    );
    assert!(!e.listing.public, "no public column: kept");
    assert!(dir
        .search(&SearchQuery {
            text: "allotment".into(),
            ..Default::default()
        })
        .unwrap()
        .is_empty());
}

fn located(e: &mut Entry, lat: f64, lon: f64) {
    let id = e.service.id.clone();
    e.service.service_at_locations = vec![ServiceAtLocation {
        id: directory::validate::derived_id(&[&id, "sal"]),
        location: Some(Location {
            id: directory::validate::derived_id(&[&id, "loc"]),
            location_type: "physical".into(),
            latitude: Some(lat),
            longitude: Some(lon),
            ..Default::default()
        }),
        ..Default::default()
    }];
}

fn weekly(e: &mut Entry, days: &str, opens: &str, closes: &str) {
    e.service.schedules.push(Schedule {
        id: directory::new_id(),
        freq: Some("WEEKLY".into()),
        byday: Some(days.into()),
        opens_at: Some(opens.into()),
        closes_at: Some(closes.into()),
        ..Default::default()
    });
}

fn cost(e: &mut Entry, amount: f64) {
    e.service.cost_options.push(CostOption {
        id: directory::new_id(),
        amount: Some(amount),
        ..Default::default()
    });
}

/// A small synthetic directory; returns ids in the order created.
async fn seed(dir: &Directory) -> Vec<String> {
    let org = directory::oruk::Organization {
        id: directory::new_id(),
        name: "Green Steps Trust".into(),
        description: "Walking and gardening groups".into(),
        ..Default::default()
    };
    let mut out = vec![];
    let specs: Vec<(&str, &str, Category, f64, f64, f64, &str, bool)> = vec![
        (
            "Riverside Walking Group",
            "Gentle group walks by the river for older people.",
            Category::Walking,
            53.800,
            -1.550,
            0.0,
            "TU",
            false,
        ),
        (
            "Hillside Walkers",
            "Brisk walks on the hills.",
            Category::Walking,
            53.850,
            -1.550,
            5.0,
            "TU",
            false,
        ),
        (
            "Park Walks for Health",
            "Short walks in the park.",
            Category::Walking,
            53.810,
            -1.550,
            0.0,
            "WE",
            false,
        ),
        (
            "Singing for the Brain",
            "A singing group for people living with dementia.",
            Category::Music,
            53.801,
            -1.551,
            0.0,
            "TH",
            false,
        ),
        (
            "Old Walking Club",
            "A walking club that has closed.",
            Category::Walking,
            53.800,
            -1.550,
            0.0,
            "TU",
            true,
        ),
    ];
    for (name, desc, cat, lat, lon, amount, day, retired) in specs {
        let mut e = Entry::new(name);
        e.service.description = Some(desc.into());
        e.service.organization_id = Some(org.id.clone());
        e.service.organization = Some(org.clone());
        e.service.minimum_age = Some(50.0);
        e.set_categories(&[cat]);
        located(&mut e, lat, lon);
        weekly(&mut e, day, "10:00", "11:30");
        cost(&mut e, amount);
        e.listing.referral_mode = ReferralMode::Referral;
        if name.starts_with("Riverside") {
            e.listing.access_features = vec![AccessFeature::StepFree];
        }
        if retired {
            e.listing.retired_on = Some(directory::today());
        }
        let saved = dir.save(&e, &actor()).await.unwrap();
        out.push(saved.service.id);
    }
    out
}

fn names(dir: &Directory, q: &SearchQuery) -> Vec<String> {
    let hits = dir.search(q).unwrap();
    hits.iter()
        .map(|h| dir.index.facts(&h.id).unwrap().name)
        .collect()
}

pub async fn search_typos_forms_filters_and_distance(store: Arc<dyn Storage>) {
    let dir = open(store).await;
    seed(&dir).await;
    let q = |text: &str| SearchQuery {
        text: text.into(),
        ..Default::default()
    };
    // Typos and word forms.
    let typo = names(&dir, &q("walkng"));
    assert!(
        typo.contains(&"Riverside Walking Group".to_string()),
        "{typo:?}"
    );
    let plural = names(&dir, &q("walks"));
    assert!(
        plural.contains(&"Hillside Walkers".to_string())
            || plural.contains(&"Park Walks for Health".to_string())
    );
    assert!(names(&dir, &q("singin")).contains(&"Singing for the Brain".to_string()));
    assert!(!names(&dir, &q("walking")).contains(&"Singing for the Brain".to_string()));
    // Retired services never appear.
    for text in ["", "walking", "old walking club"] {
        assert!(
            !names(&dir, &q(text)).contains(&"Old Walking Club".to_string()),
            "{text}"
        );
    }
    // Filters: free, Tuesday, category, age, access.
    let near = (53.799, -1.550);
    let found = names(
        &dir,
        &SearchQuery {
            text: "walking group".into(),
            free_only: true,
            day: Some(Weekday::Tu),
            age: Some(70.0),
            near: Some(near),
            ..Default::default()
        },
    );
    assert_eq!(found, vec!["Riverside Walking Group".to_string()]);
    assert!(names(
        &dir,
        &SearchQuery {
            age: Some(30.0),
            ..Default::default()
        }
    )
    .is_empty());
    assert_eq!(
        names(
            &dir,
            &SearchQuery {
                access: vec![AccessFeature::StepFree],
                ..Default::default()
            }
        ),
        vec!["Riverside Walking Group".to_string()]
    );
    assert_eq!(
        names(
            &dir,
            &SearchQuery {
                categories: vec![Category::Music],
                ..Default::default()
            }
        ),
        vec!["Singing for the Brain".to_string()]
    );
    let times = names(
        &dir,
        &SearchQuery {
            start: Some(9 * 60),
            end: Some(11 * 60),
            ..Default::default()
        },
    );
    assert!(
        times.is_empty(),
        "sessions end 11:30, after 11:00: {times:?}"
    );
    // Distance: nearest first, with distances, and a radius.
    let hits = dir
        .search(&SearchQuery {
            categories: vec![Category::Walking],
            near: Some(near),
            sort: Sort::Distance,
            ..Default::default()
        })
        .unwrap();
    let d: Vec<f64> = hits.iter().map(|h| h.distance_m.unwrap()).collect();
    assert_eq!(d.len(), 3);
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert!(d[0] < 200.0 && d[2] > 5000.0, "{d:?}");
    let close = dir
        .search(&SearchQuery {
            near: Some(near),
            within_m: Some(2000.0),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(close.len(), 3, "Hillside is 5.6 km away");
    // The public feed leaves out unpublished services.
    let mut e = dir.entry(&hits[0].id).await.unwrap().unwrap();
    e.listing.public = false;
    dir.save(&e, &actor()).await.unwrap();
    let public = names(
        &dir,
        &SearchQuery {
            public_only: true,
            ..Default::default()
        },
    );
    assert!(!public.contains(&"Riverside Walking Group".to_string()));
    assert!(names(&dir, &SearchQuery::default()).contains(&"Riverside Walking Group".to_string()));
}

pub async fn index_files_are_reused_or_rebuilt(store: Arc<dyn Storage>) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("index");
    {
        let dir = Directory::open(store.clone(), Some(&path)).await.unwrap();
        seed(&dir).await;
        assert_eq!(dir.index.len(), 5);
    }
    // Reopened with nothing changed: the text index on disk answers straight away.
    let dir = Directory::open(store.clone(), Some(&path)).await.unwrap();
    assert!(!dir
        .search(&SearchQuery {
            text: "riverside".into(),
            ..Default::default()
        })
        .unwrap()
        .is_empty());
    // Another node changes the directory: refresh notices and rebuilds.
    let other = open(store.clone()).await;
    let mut e = Entry::new("Allotment Friends");
    e.set_categories(&[Category::Gardening]);
    other.save(&e, &actor()).await.unwrap();
    assert!(dir.refresh().await.unwrap());
    assert_eq!(
        names(
            &dir,
            &SearchQuery {
                text: "allotment".into(),
                ..Default::default()
            }
        ),
        vec!["Allotment Friends".to_string()]
    );
    assert!(!dir.refresh().await.unwrap(), "nothing new");
}

storage_tests::on_both_engines!(
    every_example_file_imports,
    import_export_import_round_trip,
    broken_feed_keeps_the_good_records,
    reimport_updates_and_keeps_listing,
    partners_see_only_their_organisations_services,
    search_typos_forms_filters_and_distance,
    index_files_are_reused_or_rebuilt,
    spreadsheet_reimport_keeps_what_the_sheet_does_not_say,
);
