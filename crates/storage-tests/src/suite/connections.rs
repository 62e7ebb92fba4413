//! Connections to partner organisations and the closed loop of status updates.

use super::{accepted_episode, actor, fixture};
use chrono::{Duration, Utc};
use std::sync::Arc;
use storage::{Storage, StorageError};

pub async fn connections_close_the_loop(s: Arc<dyn Storage>) {
    use domain::{ConnectionKind, ConnectionReason, ConnectionStatus, Side};
    use storage::{ConnectionScope, NewConnection, SharedDetails, StatusChange};
    let f = fixture(&*s).await;
    let garden = s.create_partner_org("Garden Club").await.unwrap().id;
    let other = s.create_partner_org("Choir").await.unwrap().id;
    let ep = accepted_episode(&*s, &f, "Connects").await;
    let ep = s
        .assign_episode(f.pcn_a, ep.id, ep.version, f.worker_a, Utc::now(), &actor())
        .await
        .unwrap();
    let new = |kind: ConnectionKind, consent: bool, partner: Option<i64>| NewConnection {
        service_id: "svc-1".into(),
        service_name: "Allotment mornings".into(),
        organization_name: "Garden Club".into(),
        partner_org_id: partner,
        kind,
        consent_at: consent.then(Utc::now),
        shared: SharedDetails {
            name: "Journey Connects".into(),
            phone: "07700 900123".into(),
            link_worker: "Sam".into(),
            link_worker_contact: "0113 496 0001".into(),
            ..Default::default()
        },
        due_at: Some(Utc::now() - Duration::days(1)),
        note: String::new(),
        at: Utc::now(),
    };
    let err = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Referral, false, Some(garden)),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Rule(ref m) if m.contains("consent")),
        "{err:?}"
    );
    let (sign, _) = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Signpost, false, None),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(sign.status, ConnectionStatus::Completed);
    assert_eq!(sign.shared.name, "", "nothing shared for a signpost");
    let (r, _) = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Referral, true, Some(garden)),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, ConnectionStatus::Requested);
    assert_eq!(r.shared.phone, "07700 900123");
    // Overdue and not yet reminded: but the partner is reminded only of referrals it can see,
    // and no relationship is held yet.
    assert!(s.overdue_unreminded(Utc::now()).await.unwrap().is_empty());
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Pcn, true, &actor())
        .await
        .unwrap();
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Partner, true, &actor())
        .await
        .unwrap();
    let overdue = s.overdue_unreminded(Utc::now()).await.unwrap();
    assert_eq!(overdue.iter().map(|c| c.id).collect::<Vec<_>>(), vec![r.id]);
    s.mark_reminded(r.id, Utc::now()).await.unwrap();
    // Ended again for the relationship checks below.
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Pcn, false, &actor())
        .await
        .unwrap();
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Partner, false, &actor())
        .await
        .unwrap();
    assert!(s.overdue_unreminded(Utc::now()).await.unwrap().is_empty());
    // Today's list: the worker's requests past their due time, and nobody else's.
    let worker = f.worker_a;
    let ids = |v: Vec<storage::Connection>| v.iter().map(|c| c.id).collect::<Vec<_>>();
    let mine = s
        .overdue_referrals(f.pcn_a, worker, Utc::now())
        .await
        .unwrap();
    assert_eq!(ids(mine), vec![r.id]);
    let before_due = Utc::now() - Duration::days(2);
    assert!(s
        .overdue_referrals(f.pcn_a, worker, before_due)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .overdue_referrals(f.pcn_b, worker, Utc::now())
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .overdue_referrals(f.pcn_a, f.worker_a2, Utc::now())
        .await
        .unwrap()
        .is_empty());
    // A partner sees a PCN's referrals only while both hold the relationship: the PCN asks,
    // the partner accepts; a partner cannot accept what no PCN asked for.
    use storage::LinkSide;
    assert!(s.connections_for_partner(garden).await.unwrap().is_empty());
    assert!(matches!(
        s.set_partner_link(f.pcn_b, garden, LinkSide::Partner, true, &actor())
            .await
            .unwrap_err(),
        StorageError::NotFound
    ));
    let asked = s
        .set_partner_link(f.pcn_a, garden, LinkSide::Pcn, true, &actor())
        .await
        .unwrap();
    assert!(!asked.is_live());
    assert!(!s.partner_link_live(f.pcn_a, garden).await.unwrap());
    assert!(s.connections_for_partner(garden).await.unwrap().is_empty());
    let live = s
        .set_partner_link(f.pcn_a, garden, LinkSide::Partner, true, &actor())
        .await
        .unwrap();
    assert!(live.is_live());
    assert!(s.partner_link_live(f.pcn_a, garden).await.unwrap());
    assert!(!s.partner_link_live(f.pcn_b, garden).await.unwrap());
    assert_eq!(
        s.partner_links(None, Some(garden)).await.unwrap(),
        vec![live]
    );
    assert!(s
        .partner_links(Some(f.pcn_b), None)
        .await
        .unwrap()
        .is_empty());
    // Partners see only referrals addressed to them.
    assert_eq!(s.connections_for_partner(garden).await.unwrap().len(), 1);
    assert!(s.connections_for_partner(other).await.unwrap().is_empty());
    assert!(s
        .get_connection(ConnectionScope::Partner(other), r.id)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .get_connection(ConnectionScope::Partner(garden), sign.id)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .get_connection(ConnectionScope::Pcn(f.pcn_b), r.id)
        .await
        .unwrap()
        .is_none());
    let change = |to, reason, side| StatusChange {
        to,
        reason,
        note: String::new(),
        side,
        at: None,
    };
    let err = s
        .update_connection(
            ConnectionScope::Partner(other),
            r.id,
            r.version,
            &change(ConnectionStatus::Accepted, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound));
    // The link worker cannot answer for an organisation that answers in Linkwork.
    let err = s
        .update_connection(
            ConnectionScope::Pcn(f.pcn_a),
            r.id,
            r.version,
            &change(ConnectionStatus::Accepted, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)));
    let err = s
        .update_connection(
            ConnectionScope::Partner(garden),
            r.id,
            r.version,
            &change(ConnectionStatus::Completed, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Rule(ref m) if m.contains("Accepted")),
        "{err:?}"
    );
    let r = s
        .update_connection(
            ConnectionScope::Partner(garden),
            r.id,
            r.version,
            &change(ConnectionStatus::Accepted, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap();
    assert!(r.answered_at.is_some());
    assert_eq!(s.open_referrals(f.pcn_a, None).await.unwrap().len(), 1);
    let r = s
        .update_connection(
            ConnectionScope::Partner(garden),
            r.id,
            r.version,
            &change(ConnectionStatus::Completed, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, ConnectionStatus::Completed);
    assert!(s.open_referrals(f.pcn_a, None).await.unwrap().is_empty());
    // Either side ending the relationship takes the PCN's referrals out of the partner's sight.
    s.set_partner_link(f.pcn_a, garden, LinkSide::Pcn, false, &actor())
        .await
        .unwrap();
    assert!(s.connections_for_partner(garden).await.unwrap().is_empty());
    assert!(s
        .get_connection(ConnectionScope::Partner(garden), r.id)
        .await
        .unwrap()
        .is_none());
    s.set_partner_link(f.pcn_a, garden, LinkSide::Pcn, true, &actor())
        .await
        .unwrap();
    assert_eq!(s.connections_for_partner(garden).await.unwrap().len(), 1);
    // Without a partner account, the link worker records the organisation's answer; a
    // rejection needs a reason.
    let (r2, _) = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Referral, true, None),
            &actor(),
        )
        .await
        .unwrap();
    let err = s
        .update_connection(
            ConnectionScope::Pcn(f.pcn_a),
            r2.id,
            r2.version,
            &change(ConnectionStatus::Rejected, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(ref m) if m.contains("reason")));
    let r2 = s
        .update_connection(
            ConnectionScope::Pcn(f.pcn_a),
            r2.id,
            r2.version,
            &change(
                ConnectionStatus::Rejected,
                Some(ConnectionReason::NoCapacity),
                Side::Partner,
            ),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(r2.reason, Some(ConnectionReason::NoCapacity));
    let mine = s
        .connections_for_person(f.pcn_a, ep.person_id)
        .await
        .unwrap();
    assert_eq!(mine.len(), 3);
    let timeline = s.timeline(f.pcn_a, ep.person_id).await.unwrap();
    assert!(timeline
        .iter()
        .any(|t| t.summary.contains("referral accepted")));
    assert!(timeline
        .iter()
        .any(|t| t.summary.contains("as told by the organisation")));
}

/// A partner with a long history still sees every referral waiting on it: an open referral
/// made long ago is listed however many finished ones came since, and of the finished only
/// the newest `PARTNER_CLOSED_LISTED`.
pub async fn a_partner_sees_every_open_referral_however_many_are_finished(s: Arc<dyn Storage>) {
    use domain::{ConnectionKind, ConnectionReason, ConnectionStatus, Side};
    use storage::{ConnectionScope, LinkSide, NewConnection, SharedDetails, StatusChange};
    let f = fixture(&*s).await;
    let garden = s.create_partner_org("Busy Garden").await.unwrap().id;
    s.set_partner_link(f.pcn_a, garden, LinkSide::Pcn, true, &actor())
        .await
        .unwrap();
    s.set_partner_link(f.pcn_a, garden, LinkSide::Partner, true, &actor())
        .await
        .unwrap();
    let ep = accepted_episode(&*s, &f, "Longhistory").await;
    let ep = s
        .assign_episode(f.pcn_a, ep.id, ep.version, f.worker_a, Utc::now(), &actor())
        .await
        .unwrap();
    let new = |service: String, at| NewConnection {
        service_id: service.clone(),
        service_name: service,
        organization_name: "Busy Garden".into(),
        partner_org_id: Some(garden),
        kind: ConnectionKind::Referral,
        consent_at: Some(at),
        shared: SharedDetails {
            name: "Journey Longhistory".into(),
            ..Default::default()
        },
        due_at: None,
        note: String::new(),
        at,
    };
    let long_ago = Utc::now() - Duration::days(400);
    let (waiting, _) = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new("svc-waiting".into(), long_ago),
            &actor(),
        )
        .await
        .unwrap();
    let finished = storage::PARTNER_CLOSED_LISTED + 1;
    for i in 0..finished {
        let at = long_ago + Duration::hours(i + 1);
        let (c, _) = s
            .create_connection(f.pcn_a, ep.id, &new(format!("svc-{i}"), at), &actor())
            .await
            .unwrap();
        s.update_connection(
            ConnectionScope::Pcn(f.pcn_a),
            c.id,
            c.version,
            &StatusChange {
                to: ConnectionStatus::Cancelled,
                reason: Some(ConnectionReason::Other),
                note: String::new(),
                side: Side::LinkWorker,
                at: None,
            },
            &actor(),
        )
        .await
        .unwrap();
    }
    let listed = s.connections_for_partner(garden).await.unwrap();
    assert!(
        listed.iter().any(|c| c.id == waiting.id),
        "the open referral from long ago is listed"
    );
    assert_eq!(
        listed.len() as i64,
        storage::PARTNER_CLOSED_LISTED + 1,
        "every open one and the newest finished ones"
    );
    assert!(
        !listed.iter().any(|c| c.service_id == "svc-0"),
        "the oldest finished one is the one left out"
    );
}
