//! What the FHIR scenario checks once the journey is made: reads as the GP system, the
//! partner's Task, scopes and tenancy on every route, coding, the message back and the
//! directory resources.

use super::{inbound, Journey, Scene, LW, NHS};
use crate::helpers::*;
use chrono::Utc;
use domain::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};
use web::routes::{Access, Method, Target};

/// Reads as the PCN's GP system: every resource the journey made, searches and paging.
pub(super) async fn reads_as_gp(s: &mut Scene, j: &mut Journey) {
    let f = &mut s.f;
    let gp = s.gp.clone();
    let person = j.person;
    let referral_id = &j.referral_id;
    let ep = &j.ep;
    let contact = &j.contact;
    let plan_id = j.plan_id;
    let measure_id = j.measure_id;
    let task = &j.task;
    // Reads as the PCN's GP system.
    for path in [
        format!("Patient/{person}"),
        format!("ServiceRequest/{referral_id}"),
        format!("ServiceRequest/{task}"),
        format!("Task/{task}"),
        format!("CarePlan/{plan_id}"),
        format!("Goal/{plan_id}-1"),
        format!("Observation/{measure_id}"),
        format!("Encounter/{}", contact.id),
        format!("Composition/episode-{}", ep.id),
        format!("Composition/episode-{}/$document", ep.id),
    ] {
        let (s, b) = f.get(&gp, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    let (_, p) = f
        .get(&gp, &format!("Patient?identifier={NHS}|9434765919"))
        .await;
    assert_eq!(p["total"], 1, "{p}");
    assert_eq!(
        p["entry"][0]["resource"]["identifier"][0]["value"],
        "9434765919"
    );
    let (_, p) = f.get(&gp, "Patient?name=Fern&birthdate=1955-03-14").await;
    assert_eq!(p["total"], 1, "{p}");
    let (s, _) = f.get(&gp, "Patient?name=Fern").await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "name alone is too wide a search"
    );
    let (s, b) = f.get(&gp, "Patient?identifier=123").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = f.get(&gp, "Patient?nhs=9434765919").await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "unknown parameters are refused: {b}"
    );
    let (_, obs) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_count=1"),
        )
        .await;
    assert_eq!(obs["total"], 2);
    assert_eq!(obs["entry"].as_array().unwrap().len(), 1);
    let next = obs["link"][1]["url"].as_str().unwrap();
    assert!(next.contains("_after="), "{obs}");
    let (_, second) = f.get(&gp, next.split("/fhir/").nth(1).unwrap()).await;
    assert_eq!(second["entry"].as_array().unwrap().len(), 1, "{second}");
    assert_ne!(
        second["entry"][0]["resource"]["id"], obs["entry"][0]["resource"]["id"],
        "the next page goes on, not back"
    );
    assert!(
        second["link"][1].is_null(),
        "no page after the last: {second}"
    );
    // Only the count, and a _count over the limit taken as the limit (not refused).
    let (_, count) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_summary=count"),
        )
        .await;
    assert_eq!(
        (count["total"].as_u64(), count.get("entry")),
        (Some(2), None)
    );
    let (s, many) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_count=1000"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(many["entry"].as_array().unwrap().len(), 2);
    assert!(many["link"][0]["url"]
        .as_str()
        .unwrap()
        .contains("_count=200"));
    let (s, _) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_summary=true"),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "only _summary=count is offered");
    // _id and _lastUpdated on a search.
    let first_id = obs["entry"][0]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, by_id) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_id={first_id}"),
        )
        .await;
    assert_eq!(by_id["total"], 1, "{by_id}");
    let (_, patients_since) = f
        .get(
            &gp,
            &format!("Patient?identifier={NHS}|9434765919&_lastUpdated=ge2000-01-01"),
        )
        .await;
    assert!(
        patients_since["total"].as_u64().unwrap() >= 1,
        "{patients_since}"
    );
    let (_, none_since) = f
        .get(
            &gp,
            &format!("Patient?identifier={NHS}|9434765919&_lastUpdated=gt2999-01-01T00:00:00Z"),
        )
        .await;
    assert_eq!(none_since["total"], 0, "{none_since}");
    let (s, _) = f
        .get(
            &gp,
            &format!("Patient?identifier={NHS}|9434765919&_lastUpdated=yesterday"),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, o) = f.get(&gp, &format!("Observation/{measure_id}")).await;
    assert_eq!(
        o["valueQuantity"]["value"], 19.25,
        "SWEMWBS: 7 items × 3 = raw 21 = metric 19.25"
    );
    for path in ["CarePlan", "Goal", "Encounter", "ServiceRequest", "Task"] {
        let (s, b) = f.get(&gp, &format!("{path}?patient={person}")).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        assert!(b["total"].as_u64().unwrap() >= 1, "{path}: {b}");
    }
}

/// The partner's system answers its Task; the rules are the partner pages' rules.
pub(super) async fn partner_answers_its_task(s: &mut Scene, j: &mut Journey) {
    let app = &s.app;
    let f = &mut s.f;
    let green_gym = s.green_gym;
    let gp = s.gp.clone();
    let gym = s.gym.clone();
    let walk = s.walk.clone();
    let person = j.person;
    let task = &j.task;
    let lw = &mut j.lw;
    // The partner's system answers its Task; the rules are the partner pages' rules.
    let (s, t) = f
        .get(
            &gym,
            &format!("Task?owner=Organization/partner-{green_gym}&status=requested"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["total"], 1, "{t}");
    assert_eq!(t["entry"][0]["resource"]["for"]["display"], "Fern Inbound");
    assert!(
        t["entry"][0]["resource"]["for"].get("reference").is_none(),
        "partners get no patient id"
    );
    let (s, _) = f.get(&gym, &format!("Patient/{person}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let update = |status: &str, reason: Option<&str>| task_update(task, status, reason);
    let (s, b) = f
        .put(&gym, &format!("Task/{task}"), &update("completed", None))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "requested → completed is illegal: {b}"
    );
    assert!(b.to_string().contains("cannot move a referral"), "{b}");
    let (s, _) = f
        .put(&walk, &format!("Task/{task}"), &update("accepted", None))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another organisation's Task");
    let (s, _) = f.get(&walk, &format!("Task/{task}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, w) = f.get(&walk, "Task").await;
    assert_eq!(w["total"], 0);
    let (s, _) = f
        .put(&gp, &format!("Task/{task}"), &update("accepted", None))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a GP system cannot answer for a partner"
    );
    let stale = f
        .http
        .put(format!("{}/fhir/Task/{task}", app.base))
        .bearer_auth(&gym)
        .header("content-type", "application/fhir+json")
        .header("if-match", "W/\"99\"")
        .body(update("accepted", None).to_string());
    let (s, _) = f.send(stale).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED);
    let (s, b) = f
        .put(&gym, &format!("Task/{task}"), &update("accepted", None))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = f
        .put(&gym, &format!("Task/{task}"), &update("completed", None))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "completed");
    let seen = lw.get(&format!("/people/{person}")).await;
    assert!(
        seen.body.contains("Completed (attended)"),
        "the link worker sees the partner's answer"
    );
    let (_, t) = f.get(&gym, &format!("Task/{task}")).await;
    assert_eq!(t["status"], "completed");
}

/// Scopes and tenancy on every FHIR route, the expectations taken from the route table.
pub(super) async fn scopes_and_tenancy(s: &mut Scene, j: &mut Journey, engine: Engine) {
    let app = &s.app;
    let f = &mut s.f;
    let narrow = s.narrow.clone();
    let hub_b = s.hub_b.clone();
    let gp_read_only = s.gp_read_only.clone();
    let person = j.person;
    let referral_id = &j.referral_id;
    let ep = &j.ep;
    let contact = &j.contact;
    let plan_id = j.plan_id;
    let measure_id = j.measure_id;
    let task = &j.task;
    let update = |status: &str, reason: Option<&str>| task_update(task, status, reason);
    // Scopes and tenancy on every FHIR route.
    let concrete = |p: &str| {
        p.replace(
            "{id}",
            &match p {
                p if p.starts_with("/Patient") => person.to_string(),
                p if p.starts_with("/ServiceRequest") => referral_id.clone(),
                p if p.starts_with("/Task") => task.clone(),
                p if p.starts_with("/CarePlan") | p.starts_with("/Observation") => {
                    (if p.starts_with("/CarePlan") {
                        plan_id
                    } else {
                        measure_id
                    })
                    .to_string()
                }
                p if p.starts_with("/Goal") => format!("{plan_id}-1"),
                p if p.starts_with("/Encounter") => contact.id.to_string(),
                p if p.starts_with("/Composition") => format!("episode-{}", ep.id),
                p if p.starts_with("/Bundle") => "coding-1".into(),
                _ => "x".into(),
            },
        )
    };
    let query = |p: &str| match p {
        "/Patient" => format!("?identifier={NHS}|9434765919"),
        "/CarePlan" | "/Goal" | "/Observation" | "/Encounter" | "/ServiceRequest" => {
            format!("?patient={person}")
        }
        _ => String::new(),
    };
    // The expectations come from the route table's rules (web::routes).
    let fhir_routes: Vec<_> = web::routes::table()
        .into_iter()
        .filter(|r| r.path.starts_with("/fhir/"))
        .collect();
    assert!(fhir_routes.len() >= 27, "{}", fhir_routes.len());
    let mut checked = 0;
    for r in &fhir_routes {
        let route = r.path.trim_start_matches("/fhir");
        let method = r.method.as_str();
        let url = format!(
            "{}/fhir{}{}",
            app.base,
            concrete(route).replace("{vid}", "1"),
            query(route)
        );
        let call = |token: Option<&str>| {
            let mut req = match r.method {
                Method::Get => f.http.get(&url),
                Method::Post => f.http.post(&url),
                Method::Put => f.http.put(&url),
                Method::Patch => f.http.patch(&url),
            };
            req = req.header("content-type", "application/fhir+json");
            if route == "/Task/{id}" && r.method == Method::Put {
                req = req.body(update("cancelled", Some("other")).to_string());
            } else if r.method == Method::Post && route == "/ServiceRequest" {
                req = req.body(inbound("6541003238", "Y00001", true).to_string());
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req
        };
        let anonymous = call(None).send().await.unwrap().status();
        let narrow_s = call(Some(&narrow)).send().await.unwrap().status();
        let other = call(Some(&hub_b)).send().await.unwrap();
        let other_pcn = other.status();
        let other_body: Value = other.json().await.unwrap_or(Value::Null);
        let read_only = call(Some(&gp_read_only)).send().await.unwrap().status();
        checked += 4;
        let scope = match r.rule.access {
            Access::Public => {
                assert_eq!(anonymous, StatusCode::OK, "{method} {route}");
                continue;
            }
            Access::Client(scope) => scope,
            other => panic!("{method} {route}: a FHIR route with rule {other:?}"),
        };
        assert_eq!(
            anonymous,
            StatusCode::UNAUTHORIZED,
            "{method} {route} without a token"
        );
        // `narrow` holds only directory.read; `gp_read_only` only record.read.
        let narrow_expected = scope == Scope::DirectoryRead;
        assert_eq!(
            narrow_s != StatusCode::FORBIDDEN,
            narrow_expected,
            "{method} {route} ({scope:?}) with only directory.read: {narrow_s}"
        );
        assert_eq!(
            read_only != StatusCode::FORBIDDEN,
            scope == Scope::RecordRead,
            "{method} {route} ({scope:?}) with only record.read: {read_only}"
        );
        // Another PCN's hub holds record.read, task.read and referral.write for its own PCN.
        if r.method == Method::Get && matches!(scope, Scope::RecordRead | Scope::TaskRead) {
            if r.rule.target == Target::None {
                assert!(
                    other_pcn == StatusCode::NOT_FOUND
                        || (other_pcn == StatusCode::OK && other_body["total"] == 0),
                    "{method} {route}: another PCN's hub finds nothing: {other_pcn} {other_body}"
                );
            } else {
                assert_eq!(
                    other_pcn,
                    StatusCode::NOT_FOUND,
                    "{method} {route}: another PCN's hub sees nothing"
                );
            }
        }
    }
    storage_tests::figure(&format!(
        "FHIR authorisation checks ({engine:?}): {} routes × 4 callers = {checked} checks",
        fhir_routes.len()
    ));
}

/// Coding: pulled twice is the same batch; acknowledged once; nothing sent twice.
pub(super) async fn coding_is_delivered_once(s: &mut Scene, j: &mut Journey) {
    let app = &s.app;
    let f = &mut s.f;
    let gp = s.gp.clone();
    let narrow = s.narrow.clone();
    let person = j.person;
    // Coding: pulled twice is the same batch; acknowledged once; nothing sent twice.
    let (s, b1) = f.get(&gp, "$coding-batch").await;
    assert_eq!(s, StatusCode::OK, "{b1}");
    assert_eq!(b1["type"], "message");
    let codes = b1["entry"].as_array().unwrap().len() - 1;
    assert_eq!(codes, 1, "one accepted episode, one code: {b1}");
    let (_, b2) = f.get(&gp, "$coding-batch").await;
    assert_eq!(
        b1["id"], b2["id"],
        "a lost response is pulled again, unchanged"
    );
    assert_eq!(b1["entry"], b2["entry"]);
    let batch = b1["id"].as_str().unwrap().to_string();
    let csv = f
        .http
        .get(format!("{}/fhir/Bundle/{batch}?_format=csv", app.base))
        .bearer_auth(&gp)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("871731000000106") && csv.contains("9434765919"),
        "{csv}"
    );
    let (s, _) = f
        .post(&narrow, &format!("Bundle/{batch}/$acknowledge"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The GP system could not file the code: it says so, and the next pull offers it again
    // in a new batch (an all-or-nothing acknowledgement could not say "not filed").
    let entry = b1["entry"][1]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for bad in [
        json!({"resourceType": "Parameters", "parameter": [{"name": "not-filed", "valueString": "coding-entry-999999"}]}),
        json!({"resourceType": "Parameters", "parameter": [{"name": "filed-elsewhere", "valueString": entry}]}),
        json!({"resourceType": "Patient"}),
    ] {
        let (s, b) = f
            .post(&gp, &format!("Bundle/{batch}/$acknowledge"), &bad)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    let (s, part) = f
        .post(
            &gp,
            &format!("Bundle/{batch}/$acknowledge"),
            &json!({"resourceType": "Parameters", "parameter": [
                {"name": "not-filed", "valueReference": {"reference": format!("Observation/{entry}")}}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{part}");
    assert!(
        part.to_string().contains("0 code(s)") && part.to_string().contains("1 not filed"),
        "{part}"
    );
    let (_, b3) = f.get(&gp, "$coding-batch").await;
    assert_ne!(b3["id"], b1["id"], "a new batch");
    assert_eq!(
        b3["entry"][1]["resource"]["id"],
        entry.as_str(),
        "the code offered again: {b3}"
    );
    let batch = b3["id"].as_str().unwrap().to_string();
    let (s, ack) = f
        .post(&gp, &format!("Bundle/{batch}/$acknowledge"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ack.to_string().contains("1 code(s)"), "{ack}");
    let (_, again) = f
        .post(&gp, &format!("Bundle/{batch}/$acknowledge"), &json!({}))
        .await;
    assert!(
        again.to_string().contains("already acknowledged"),
        "{again}"
    );
    let entries = app
        .store
        .coding_entries(app.pcn_a, Some(app.practice_a), false)
        .await
        .unwrap();
    assert_eq!(entries.iter().filter(|e| e.recorded).count(), 1);
    let timeline = app.store.timeline(app.pcn_a, person).await.unwrap();
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e.kind == "coding" && e.summary.contains("recorded"))
            .count(),
        1,
        "recorded once: {timeline:?}"
    );
    let (_, empty) = f.get(&gp, "$coding-batch").await;
    assert_eq!(
        empty["entry"].as_array().unwrap().len(),
        1,
        "only the header: nothing left"
    );
}

/// The message back: a document, a page, and an email queued at discharge.
pub(super) async fn message_back(s: &mut Scene, j: &mut Journey) {
    let app = &s.app;
    let a = s.a.clone();
    let f = &mut s.f;
    let gp = s.gp.clone();
    let ep = &j.ep;
    let lw = &mut j.lw;
    // The message back: a document, a page, and an email queued at discharge.
    let (_, doc) = f
        .get(&gp, &format!("Composition/episode-{}/$document", ep.id))
        .await;
    assert_eq!(doc["type"], "document");
    assert_eq!(doc["entry"][0]["resource"]["resourceType"], "Composition");
    let (_, composition) = f.get(&gp, &format!("Composition/episode-{}", ep.id)).await;
    assert!(
        composition["meta"]["lastUpdated"].is_string(),
        "{composition}"
    );
    // Dated by what it says, not by when it was asked for: read again, the same.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, again) = f.get(&gp, &format!("Composition/episode-{}", ep.id)).await;
    assert_eq!(
        again["meta"]["lastUpdated"], composition["meta"]["lastUpdated"],
        "{again}"
    );
    let text = doc.to_string();
    assert!(
        text.contains("What matters to the person")
            && text.contains("Allotment mornings")
            && text.contains("SWEMWBS"),
        "{text}"
    );
    assert!(
        text.contains("Getting out of the house &amp; meeting people"),
        "narrative is escaped XHTML"
    );
    let page = lw.get(&format!("/episodes/{}/message-back", ep.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Support offered and outcome")
            && page.body.contains("completed (attended)"),
        "{}",
        page.body
    );
    // A letter for people: no FHIR words, dates as the NHS writes them.
    assert!(!page.body.contains("FHIR") && !page.body.contains("Composition/"));
    let written = domain::uk_time::today().format("%-d %b %Y").to_string();
    assert!(page.body.contains(&written), "{written}: {}", page.body);
    let iso = domain::uk_time::today().to_string();
    let letter = page.body.split("<article").nth(1).unwrap_or("");
    assert!(
        !letter.contains(&iso),
        "no ISO dates in the letter: {letter}"
    );
    let ep = app
        .store
        .get_episode(app.pcn_a, ep.id)
        .await
        .unwrap()
        .unwrap();
    app.store
        .discharge(
            app.pcn_a,
            ep.id,
            ep.version,
            domain::DischargeReason::GoalsMet,
            &serde_json::to_string(&domain::DischargeSummary {
                reason: domain::DischargeReason::GoalsMet,
                summary: "Goes to the garden weekly".into(),
            })
            .unwrap(),
            Utc::now(),
            &a,
        )
        .await
        .unwrap();
    let queued = app
        .store
        .messages_for_episode(app.pcn_a, ep.id)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "queued with the discharge");
    assert_eq!(queued[0].to_address, "rowan.test@nhs.example");
    // With no mail server set up it stays queued to retry, never dropped.
    web::message_back::send_due(&app.state).await.unwrap();
    let queued = app
        .store
        .messages_for_episode(app.pcn_a, ep.id)
        .await
        .unwrap();
    assert!(
        queued[0].sent_at.is_none() && queued[0].next_attempt_at.is_some(),
        "{queued:?}"
    );
    let (_, comp) = f.get(&gp, &format!("Composition/episode-{}", ep.id)).await;
    assert_eq!(comp["status"], "final");
}

/// Directory resources, for the validator too.
pub(super) async fn directory_resources(s: &mut Scene) {
    let app = &s.app;
    let a = s.a.clone();
    let f = &mut s.f;
    let green_gym = s.green_gym;
    let gp = s.gp.clone();
    let gym = s.gym.clone();
    // Directory resources, for the validator too.
    let identifier = |scheme: &str, value: &str| directory::oruk::OrganizationIdentifier {
        id: directory::new_id(),
        identifier_scheme: Some(scheme.into()),
        identifier_type: "registration".into(),
        identifier: value.into(),
        ..Default::default()
    };
    let org = directory::oruk::Organization {
        id: directory::new_id(),
        name: "Green Gym Trust".into(),
        description: "Volunteering outdoors".into(),
        organization_identifiers: vec![
            identifier("GB-CHC", "1234567"),
            identifier("GB-NHS", "DXX99"),
        ],
        ..Default::default()
    };
    let mut e = directory::Entry::new("Allotment mornings");
    e.service.organization_id = Some(org.id.clone());
    e.service.organization = Some(org.clone());
    let loc = directory::oruk::Location {
        id: directory::new_id(),
        location_type: "physical".into(),
        name: Some("Hill allotments".into()),
        latitude: Some(53.8),
        longitude: Some(-1.55),
        addresses: vec![directory::oruk::Address {
            id: directory::new_id(),
            address_1: "Hill Lane".into(),
            city: "Leeds".into(),
            state_province: "West Yorkshire".into(),
            postal_code: "LS6 2AA".into(),
            country: "GB".into(),
            address_type: "physical".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    e.service.service_at_locations = vec![directory::oruk::ServiceAtLocation {
        id: directory::new_id(),
        location_id: Some(loc.id.clone()),
        location: Some(loc.clone()),
        ..Default::default()
    }];
    let saved = app.state.directory.save(&e, &a).await.unwrap();
    app.state.directory.refresh().await.unwrap();
    let (s, hs) = f.get(&gym, "HealthcareService?name=allotment").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(hs["total"], 1, "{hs}");
    assert_eq!(
        f.get(&gym, &format!("HealthcareService/{}", saved.service.id))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        f.get(&gym, &format!("Organization/{}", org.id)).await.0,
        StatusCode::OK
    );
    // Dated by the listing that carries them (meta.lastUpdated, Last-Modified).
    let (st, location) = f.get(&gym, &format!("Location/{}", loc.id)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(location["meta"]["lastUpdated"].is_string(), "{location}");
    // The directory organisation is the Green Gym partner: both resources carry the
    // partner's identifier and the organisation's own (its ODS code under the NHS system).
    // Linking them is a change to the organisation, which its lastUpdated shows.
    let (_, before) = f.get(&gym, &format!("Organization/{}", org.id)).await;
    // (lastUpdated is sent to the second.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.store
        .link_partner(&org.id, Some(green_gym), &a)
        .await
        .unwrap();
    app.state.directory.refresh().await.unwrap();
    let (_, organization) = f.get(&gym, &format!("Organization/{}", org.id)).await;
    let at = |v: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(v["meta"]["lastUpdated"].as_str().unwrap()).unwrap()
    };
    assert!(
        at(&organization) > at(&before),
        "the partner link moved lastUpdated: {} then {}",
        before["meta"]["lastUpdated"],
        organization["meta"]["lastUpdated"]
    );
    let ids = organization["identifier"].to_string();
    for expected in [
        r#"{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"DXX99"}"#,
        r#"{"system":"https://org-id.guide/list/GB-CHC","value":"1234567"}"#,
    ] {
        assert!(ids.contains(expected), "{expected} in {ids}");
    }
    let (_, partner) = f
        .get(&gym, &format!("Organization/partner-{green_gym}"))
        .await;
    let partner_ids = partner["identifier"].to_string();
    assert!(
        partner_ids.contains("DXX99") && partner_ids.contains(&org.id),
        "{partner_ids}"
    );
    assert!(ids.contains(&format!(r#""value":"{green_gym}""#)), "{ids}");
    f.get(&gym, &format!("Organization/partner-{green_gym}"))
        .await;
    f.get(&gp, &format!("Organization/pcn-{}", app.pcn_a)).await;
}

/// A GP system's retries make one referral: a plain repeat is refused naming the first
/// (409), a repeat with If-None-Exist gets the first back (200), and neither makes a second
/// person or referral.
pub(super) async fn retries_make_one_referral(s: &mut Scene) {
    let gp = s.gp.clone();
    let base = s.app.base.clone();
    let f = &mut s.f;
    let mut body = super::inbound("9000000009", "Y00001", true);
    body["identifier"] = json!([{"system": "https://gp.example/referrals", "value": "R-1001"}]);
    let (st, first) = f.post(&gp, "ServiceRequest", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    let id = first["id"].as_str().unwrap().to_string();
    let (st, again) = f.post(&gp, "ServiceRequest", &body).await;
    assert_eq!(st, StatusCode::CONFLICT, "{again}");
    assert!(
        again.to_string().contains(&format!("ServiceRequest/{id}")),
        "{again}"
    );
    let http = f.http.clone();
    let conditional = |header: &str| {
        http.post(format!("{base}/fhir/ServiceRequest"))
            .bearer_auth(&gp)
            .header("content-type", "application/fhir+json")
            .header("if-none-exist", header.to_string())
            .body(body.to_string())
    };
    let req = conditional("identifier=https://gp.example/referrals|R-1001");
    let (st, back) = f.send(req).await;
    assert_eq!(
        (st, back["id"].as_str()),
        (StatusCode::OK, Some(id.as_str())),
        "{back}"
    );
    let req = conditional("identifier=https%3A%2F%2Fgp.example%2Freferrals%7CR-1001");
    let (st, _) = f.send(req).await;
    assert_eq!(st, StatusCode::OK, "the header's value may be URL-encoded");
    // The answer names the version ([base]/[type]/[id]/_history/[vid]), and that URL reads
    // it; a version not kept is 404 naming the current one.
    let r = conditional("identifier=https://gp.example/referrals|R-1001")
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let version = back["meta"]["versionId"].as_str().unwrap().to_string();
    assert!(
        location.ends_with(&format!("/fhir/ServiceRequest/{id}/_history/{version}")),
        "{location}"
    );
    // (The configured public address is not where the test server listens.)
    let path = location.split_once("/fhir/").unwrap().1;
    let vread = http
        .get(format!("{base}/fhir/{path}"))
        .bearer_auth(&gp)
        .send()
        .await
        .unwrap();
    assert_eq!(vread.status(), StatusCode::OK);
    assert_eq!(vread.headers()["etag"], format!("W/\"{version}\"").as_str());
    let read: Value = vread.json().await.unwrap();
    assert_eq!(read["id"], json!(id));
    let (st, gone) = f
        .get(&gp, &format!("ServiceRequest/{id}/_history/999"))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{gone}");
    assert!(
        gone.to_string()
            .contains(&format!("only the current version ({version})")),
        "{gone}"
    );
    for bad in [
        "identifier=R-1001",
        "name=Fern",
        "identifier=https://gp.example/referrals|R-9",
    ] {
        let req = conditional(bad);
        let (st, b) = f.send(req).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    let (_, people) = f
        .get(&gp, &format!("Patient?identifier={NHS}|9000000009"))
        .await;
    assert_eq!(people["total"], 1, "one person: {people}");
    let person = people["entry"][0]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, referrals) = f
        .get(&gp, &format!("ServiceRequest?patient=Patient/{person}"))
        .await;
    let made = referrals["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["resource"]["id"]
                .as_str()
                .is_some_and(|i| i.starts_with("referral-"))
        })
        .count();
    assert_eq!(made, 1, "one referral: {referrals}");
}

/// A partner works through its requested Tasks a page at a time, accepting each as it goes:
/// with offset paging, accepting the first moved the rest up and the next page skipped one.
/// Every referral is seen once. Then a GP system finds the completed ones by status.
pub(super) async fn paging_is_stable_while_tasks_change(s: &mut Scene, j: &mut Journey) {
    let green_gym = s.green_gym;
    let a = s.a.clone();
    let mut made = vec![];
    for n in 0..3 {
        let (c, _) = s
            .app
            .store
            .create_connection(
                s.app.pcn_a,
                j.ep.id,
                &storage::NewConnection {
                    service_id: format!("svc-page-{n}"),
                    service_name: format!("Allotment group {n}"),
                    organization_name: "Green Gym".into(),
                    partner_org_id: Some(green_gym),
                    kind: domain::ConnectionKind::Referral,
                    consent_at: Some(chrono::Utc::now()),
                    shared: storage::SharedDetails {
                        name: "Fern Inbound".into(),
                        link_worker: "Test lw".into(),
                        ..Default::default()
                    },
                    due_at: None,
                    note: String::new(),
                    at: chrono::Utc::now(),
                },
                &a,
            )
            .await
            .unwrap();
        made.push(format!("connection-{}", c.id));
    }
    let gym = s.gym.clone();
    let f = &mut s.f;
    let mut seen = vec![];
    let mut path = format!("Task?owner=Organization/partner-{green_gym}&status=requested&_count=1");
    loop {
        let (st, page) = f.get(&gym, &path).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        let Some(task) = page["entry"][0]["resource"]["id"]
            .as_str()
            .map(str::to_string)
        else {
            break;
        };
        let (st, b) = f
            .put(
                &gym,
                &format!("Task/{task}"),
                &task_update(&task, "accepted", None),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        seen.push(task);
        match page["link"][1]["url"].as_str() {
            Some(next) => path = next.split("/fhir/").nth(1).unwrap().to_string(),
            None => break,
        }
    }
    for t in &made {
        assert!(
            seen.contains(t),
            "{t} was skipped while paging: saw {seen:?}"
        );
    }
    // `If-Match: *` is "whatever version it is now": a real change goes through.
    let first = &made[0];
    for status in ["in-progress", "completed"] {
        let req = f
            .http
            .put(format!("{}/fhir/Task/{first}", s.app.base))
            .bearer_auth(&gym)
            .header("content-type", "application/fhir+json")
            .header("if-match", "*")
            .body(task_update(first, status, None).to_string());
        let (st, b) = f.send(req).await;
        assert_eq!(st, StatusCode::OK, "{status}: {b}");
    }
    // A reason given only in words keeps the partner's words (not just "Other").
    let second = &made[1];
    let mut failed = task_update(second, "failed", None);
    failed["statusReason"] = json!({"text": "They moved away before starting"});
    let (st, b) = f.put(&gym, &format!("Task/{second}"), &failed).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (_, t) = f.get(&gym, &format!("Task/{second}")).await;
    assert_eq!(
        t["statusReason"]["text"], "They moved away before starting",
        "{t}"
    );
    // A GP system asks for referrals in any status, not only open ones.
    let has = |b: &Value, id: &str| {
        b["entry"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["resource"]["id"] == id))
    };
    let (_, completed) = f.get(&s.gp, "Task?status=completed&_count=200").await;
    assert!(has(&completed, first), "{completed}");
    let (_, open) = f.get(&s.gp, "Task?_count=200").await;
    assert!(
        !has(&open, first),
        "without a status, only open ones: {open}"
    );
}

/// The HTTP details standard FHIR clients rely on: every refusal an OperationOutcome with
/// the standard status (405, 406, 415), an empty Bundle (not 404) for a patient the client
/// does not hold, absolute references, date prefixes and `If-Match: *`.
pub(super) async fn http_details_are_standard(s: &mut Scene, j: &mut Journey) {
    let base = s.app.base.clone();
    let gp = s.gp.clone();
    let gym = s.gym.clone();
    let person = j.person;
    let f = &mut s.f;
    for (method, path, want) in [
        (
            reqwest::Method::PATCH,
            format!("Task/{}", j.task),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            reqwest::Method::DELETE,
            format!("Patient/{person}"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            reqwest::Method::DELETE,
            "ServiceRequest".to_string(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        // An operation Linkwork does not have: not found, said as an OperationOutcome.
        (
            reqwest::Method::POST,
            format!("Patient/{person}/$validate"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let req = f
            .http
            .request(method.clone(), format!("{base}/fhir/{path}"))
            .bearer_auth(&gp)
            .header("content-type", "application/fhir+json")
            .body("{}");
        let (st, b) = f.send(req).await;
        assert_eq!(st, want, "{method} {path}");
        assert_eq!(
            b["resourceType"], "OperationOutcome",
            "{method} {path}: {b}"
        );
    }
    // XML asked for: 406, not JSON it did not ask for.
    for (accept, query) in [("application/fhir+xml", ""), ("", "&_format=xml")] {
        let mut req = f
            .http
            .get(format!(
                "{base}/fhir/Patient?identifier={NHS}|9434765919{query}"
            ))
            .bearer_auth(&gp);
        if !accept.is_empty() {
            req = req.header("accept", accept);
        }
        let (st, b) = f.send(req).await;
        assert_eq!(st, StatusCode::NOT_ACCEPTABLE, "{accept}{query}: {b}");
        assert_eq!(b["resourceType"], "OperationOutcome");
    }
    let req = f
        .http
        .get(format!("{base}/fhir/Patient?identifier={NHS}|9434765919"))
        .bearer_auth(&gp)
        .header(
            "accept",
            "application/fhir+json, application/fhir+xml;q=0.5",
        );
    assert_eq!(f.send(req).await.0, StatusCode::OK);
    // Standard clients find the token endpoint themselves: SMART discovery and the
    // CapabilityStatement's oauth-uris say the same, and say only what the server does.
    let smart: Value = f
        .http
        .get(format!("{base}/fhir/.well-known/smart-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, cs) = f.get(&gp, "metadata").await;
    let token = smart["token_endpoint"].as_str().unwrap();
    assert!(token.ends_with("/oauth/token"), "{smart}");
    assert_eq!(
        cs["rest"][0]["security"]["extension"][0]["extension"][0]["valueUri"], token,
        "{cs}"
    );
    assert_eq!(
        smart["grant_types_supported"],
        json!(["client_credentials"])
    );
    assert!(smart["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("record.read")));
    // Wrong types and unknown elements are refused, naming where (nothing made).
    let mut typed = super::inbound("9000000017", "Y00001", true);
    typed["priority"] = json!(42);
    typed["colour"] = json!("blue");
    let (st, b) = f.post(&gp, "ServiceRequest", &typed).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    let said = b.to_string();
    assert!(
        said.contains("ServiceRequest.priority") && said.contains("no element 'colour'"),
        "{b}"
    );
    // A body that is not JSON by its type: 415.
    let req = f
        .http
        .post(format!("{base}/fhir/ServiceRequest"))
        .bearer_auth(&gp)
        .header("content-type", "text/plain")
        .body("{}");
    let (st, b) = f.send(req).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{b}");
    // Another PCN's hub asks for this PCN's patient: an empty Bundle, audited as denied.
    let hub_b = s.hub_b.clone();
    let before = s.app.store.all_audit().await.unwrap().len();
    let (st, b) = f
        .get(&hub_b, &format!("Observation?patient=Patient/{person}"))
        .await;
    assert_eq!((st, b["total"].as_u64()), (StatusCode::OK, Some(0)), "{b}");
    let log = s.app.store.all_audit().await.unwrap();
    assert!(
        log[before..]
            .iter()
            .any(|e| e.action == "access.denied" && e.detail.contains(&format!("Patient/{person}"))),
        "the denied look is audited"
    );
    // Another server's Patient with the same id is refused, never read as ours.
    let (st, _) = f
        .get(
            &gp,
            &format!("Observation?patient=https://gp.example/fhir/Patient/{person}"),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // A repeated parameter is refused; _lastUpdated may be repeated for a range.
    let (st, _) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&patient=Patient/{person}"),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (_, range) = f
        .get(&gp, &format!("Patient?identifier={NHS}|9434765919&_lastUpdated=ge2000-01-01&_lastUpdated=lt2000-01-02"))
        .await;
    assert_eq!(range["total"], 0, "both ends of the range apply: {range}");
    // Observations carry meta now: _lastUpdated works on them; Organization's do not yet,
    // and there it is refused rather than matching nothing.
    let (_, since) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_lastUpdated=ge2000-01-01"),
        )
        .await;
    assert_eq!(since["total"], 2, "{since}");
    let (_, future) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_lastUpdated=gt2999-01-01"),
        )
        .await;
    assert_eq!(future["total"], 0, "{future}");
    let (st, _) = f
        .get(&s.narrow, "Organization?_lastUpdated=ge2000-01-01")
        .await;
    assert_eq!(
        st,
        StatusCode::BAD_REQUEST,
        "not offered where resources carry no meta"
    );
    // A name with a birthdate range would list everyone of that name: refused.
    let (st, _) = f.get(&gp, "Patient?name=e&birthdate=gt1800-01-01").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (_, by_id) = f.get(&gp, &format!("Patient?_id={person}")).await;
    assert_eq!(by_id["total"], 1, "{by_id}");
    // A patient the client does not hold: an empty Bundle.
    for kind in [
        "Observation",
        "CarePlan",
        "Goal",
        "Encounter",
        "ServiceRequest",
        "Task",
    ] {
        let (st, b) = f.get(&gp, &format!("{kind}?patient=Patient/999999")).await;
        assert_eq!(st, StatusCode::OK, "{kind}: {b}");
        assert_eq!(b["total"], 0, "{kind}: {b}");
    }
    // Absolute references (to this server's public address) and date prefixes.
    let public = s.app.state.config.public_url.clone();
    let (_, abs) = f
        .get(
            &gp,
            &format!("Observation?patient={public}/fhir/Patient/{person}"),
        )
        .await;
    assert_eq!(abs["total"], 2, "{abs}");
    let (_, ge) = f
        .get(
            &gp,
            &format!("Patient?identifier={NHS}|9434765919&birthdate=ge1955-01-01"),
        )
        .await;
    assert_eq!(ge["total"], 1, "{ge}");
    let (_, lt) = f
        .get(
            &gp,
            &format!("Patient?identifier={NHS}|9434765919&birthdate=lt1955-01-01"),
        )
        .await;
    assert_eq!(lt["total"], 0, "{lt}");
    // A read says its version in ETag and Last-Modified.
    let req = f
        .http
        .get(format!("{base}/fhir/Task/{}", j.task))
        .bearer_auth(&gym);
    let res = req.send().await.unwrap();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let modified = res.headers().contains_key("last-modified");
    let t: Value = res.json().await.unwrap();
    assert_eq!(
        etag,
        Some(format!(
            "W/\"{}\"",
            t["meta"]["versionId"].as_str().unwrap()
        )),
        "{t}"
    );
    assert!(modified);
}

/// The Task update a partner's system sends: a new status, and a reason when it gives one.
fn task_update(task: &str, status: &str, reason: Option<&str>) -> Value {
    let mut t = json!({"resourceType": "Task", "id": task, "status": status, "intent": "order"});
    if let Some(r) = reason {
        t["statusReason"] = json!({"coding": [{"system": format!("{LW}/CodeSystem/connection-reason"), "code": r}]});
    }
    t
}
