//! The fixed data set the report figures were worked out by hand from, made through the
//! storage layer at known dates.

use crate::helpers::*;
use chrono::{DateTime, TimeZone, Utc};
use domain::{
    CareHomeTaskKind, CareHomeTaskStatus, Code, ConnectionKind, ConnectionStatus, EpisodeState,
    HealthPeriod, HealthUse, Instrument, Measure, MeasurePoint, Side,
};
use storage::{
    Actor, ConnectionScope, Episode, NewCareHomeTask, NewConnection, NewRecord, PersonRef,
    SharedDetails, StatusChange,
};

pub(super) fn t(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 10, 0, 0).unwrap()
}

pub(super) const PERIOD: &str = "from=2026-01-01&to=2026-03-31";

pub(super) async fn refer(app: &TestApp, family: &str, source: &str, at: DateTime<Utc>) -> Episode {
    let mut person = storage_tests::suite::person("Report", family, "1950-06-01");
    person.practice_id = Some(app.practice_a);
    let mut r = storage_tests::suite::referral();
    r.source = domain::ReferralSource::from_code(source).unwrap();
    let (_, ep) = app
        .store
        .create_referral(
            app.pcn_a,
            PersonRef::New(Box::new(person)),
            &r,
            None,
            at,
            &Actor::system("test"),
        )
        .await
        .unwrap();
    ep
}

/// Assigns to the link worker, records an attended phone call, then moves the episode.
pub(super) async fn contact_then(
    app: &TestApp,
    ep: Episode,
    lw: i64,
    call: DateTime<Utc>,
    to: Option<(EpisodeState, DateTime<Utc>)>,
) -> Episode {
    let a = Actor::system("test");
    let ep = app
        .store
        .assign_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            lw,
            ep.referred_at + chrono::Duration::hours(2),
            &a,
        )
        .await
        .unwrap();
    let (_, ep) = app
        .store
        .record_contact(app.pcn_a, ep.id, ep.version, &phone_call(call, 20), &a)
        .await
        .unwrap();
    match to {
        Some((state, at)) => app
            .store
            .transition_episode(app.pcn_a, ep.id, ep.version, state, None, at, &a)
            .await
            .unwrap(),
        None => ep,
    }
}

pub(super) async fn record(
    app: &TestApp,
    ep: i64,
    kind: domain::RecordKind,
    body: String,
    at: DateTime<Utc>,
) {
    app.store
        .add_record(
            app.pcn_a,
            ep,
            &NewRecord {
                kind,
                status: String::new(),
                body,
                assigned_to: None,
                due_at: None,
                summary: "test".into(),
                at,
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
}

pub(super) fn swemwbs(point: MeasurePoint, each: u8, on: DateTime<Utc>) -> String {
    let m = Measure {
        instrument: Instrument::Swemwbs,
        point,
        taken_on: on.date_naive(),
        items: Instrument::Swemwbs
            .items()
            .iter()
            .map(|(code, ..)| (code.to_string(), each))
            .collect(),
    };
    serde_json::to_string(&m).unwrap()
}

/// The fixed data set. In the period (Q1 2026), four referrals:
/// - E1 (GP) 5 Jan, first contact 7 Jan (2 days), accepted 8 Jan; SWEMWBS raw 14 (metric
///   15.32) on 10 Jan, raw 21 (19.25) on 10 Mar; GP 10 / A&E 2 before, 6 / 1 after; a
///   signpost and a referral to the partner, accepted after 4 days and completed.
/// - E2 (self-referral) 1 Feb, first contact 11 Feb (10 days), declined.
/// - E3 (GP) 1 Mar, first contact 5 Mar (4 days), unable to contact.
/// - E4 (GP) 20 Mar, waiting.
///
/// And one before the period (E5, 1 Dec 2025), which no figure for the period counts.
pub(super) async fn seed(app: &TestApp) {
    let lw = app.users["lw"];
    let a = Actor::system("test");
    let e1 = refer(app, "One", "gp", t(1, 5)).await;
    let e1 = contact_then(
        app,
        e1,
        lw,
        t(1, 7),
        Some((EpisodeState::Accepted, t(1, 8))),
    )
    .await;
    let e2 = refer(app, "Two", "self", t(2, 1)).await;
    contact_then(
        app,
        e2,
        lw,
        t(2, 11),
        Some((EpisodeState::Declined, t(2, 11))),
    )
    .await;
    let e3 = refer(app, "Three", "gp", t(3, 1)).await;
    let e3 = contact_then(app, e3, lw, t(3, 5), None).await;
    app.store
        .transition_episode(
            app.pcn_a,
            e3.id,
            e3.version,
            EpisodeState::UnableToContact,
            None,
            t(3, 20),
            &a,
        )
        .await
        .unwrap();
    refer(app, "Four", "gp", t(3, 20)).await;
    refer(
        app,
        "Five",
        "gp",
        Utc.with_ymd_and_hms(2025, 12, 1, 10, 0, 0).unwrap(),
    )
    .await;

    use domain::RecordKind::{HealthUse as Hu, Measure as Me};
    record(
        app,
        e1.id,
        Me,
        swemwbs(MeasurePoint::Baseline, 2, t(1, 10)),
        t(1, 10),
    )
    .await;
    record(
        app,
        e1.id,
        Me,
        swemwbs(MeasurePoint::Review, 3, t(3, 10)),
        t(3, 10),
    )
    .await;
    let hu = |period, gp, ae| {
        serde_json::to_string(&HealthUse {
            period,
            gp_appointments: gp,
            ae_attendances: ae,
        })
        .unwrap()
    };
    record(app, e1.id, Hu, hu(HealthPeriod::Before, 10, 2), t(1, 10)).await;
    record(app, e1.id, Hu, hu(HealthPeriod::After, 6, 1), t(3, 15)).await;

    // The accepted code for E1 is recorded in the GP record; E2's declined code is not.
    let entries = app
        .store
        .coding_entries(app.pcn_a, None, true)
        .await
        .unwrap();
    let accepted = entries.iter().find(|e| e.episode_id == e1.id).unwrap();
    app.store
        .mark_coded(app.pcn_a, accepted.id, &a)
        .await
        .unwrap();

    let partner = app.store.list_partner_orgs().await.unwrap()[0].id;
    let conn = |kind, consent: bool, at| NewConnection {
        service_id: "not-in-directory".into(),
        service_name: "Allotment mornings".into(),
        organization_name: "Green Gym".into(),
        partner_org_id: (kind == ConnectionKind::Referral).then_some(partner),
        kind,
        consent_at: consent.then_some(at),
        shared: SharedDetails::default(),
        due_at: None,
        note: String::new(),
        at,
    };
    app.store
        .create_connection(
            app.pcn_a,
            e1.id,
            &conn(ConnectionKind::Signpost, false, t(1, 20)),
            &a,
        )
        .await
        .unwrap();
    let (r, _) = app
        .store
        .create_connection(
            app.pcn_a,
            e1.id,
            &conn(ConnectionKind::Referral, true, t(1, 20)),
            &a,
        )
        .await
        .unwrap();
    let mut version = r.version;
    for (to, at) in [
        (ConnectionStatus::Accepted, t(1, 24)),
        (ConnectionStatus::Completed, t(2, 28)),
    ] {
        version = app
            .store
            .update_connection(
                ConnectionScope::Partner(partner),
                r.id,
                version,
                &StatusChange {
                    to,
                    reason: None,
                    note: String::new(),
                    side: Side::Partner,
                    at: Some(at),
                },
                &a,
            )
            .await
            .unwrap()
            .version;
    }
    // Care homes: a prescription request done and a visit request open in the period,
    // and one from before it.
    for (kind, on, done) in [
        (CareHomeTaskKind::Prescription, t(2, 2), true),
        (CareHomeTaskKind::Visit, t(3, 3), false),
        (
            CareHomeTaskKind::Visit,
            Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0).unwrap(),
            false,
        ),
    ] {
        let task = app
            .store
            .create_care_home_task(
                app.pcn_a,
                &NewCareHomeTask {
                    care_home: "Willow Court".into(),
                    kind,
                    requested_on: on.date_naive(),
                    link_worker_id: Some(lw),
                    details: String::new(),
                },
                &a,
            )
            .await
            .unwrap();
        if done {
            app.store
                .set_care_home_task_status(
                    app.pcn_a,
                    task.id,
                    task.version,
                    CareHomeTaskStatus::Done,
                    on.date_naive(),
                    &a,
                )
                .await
                .unwrap();
        }
    }
}
