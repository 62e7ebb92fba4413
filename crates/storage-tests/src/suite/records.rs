//! Journey records (assessments, plans, safeguarding concerns …): versions kept as
//! history, due plans, open concerns by supervisor, and discharge moving the episode on.

use super::{accepted_episode, actor, fixture};
use chrono::{Duration, Utc};
use domain::{DischargeReason, EpisodeState};
use std::sync::Arc;
use storage::{Storage, StorageError};

pub async fn records_keep_history_and_move_the_episode(s: Arc<dyn Storage>) {
    use domain::{Code, RecordKind};
    use storage::NewRecord;
    let f = fixture(&*s).await;
    let ep = accepted_episode(&*s, &f, "Records").await;
    let rec = |kind: RecordKind, body: &str| NewRecord {
        kind,
        status: String::new(),
        body: body.into(),
        assigned_to: None,
        due_at: (kind == RecordKind::Plan).then(|| Utc::now() + Duration::days(3)),
        summary: format!("{} saved", kind.label()),
        at: Utc::now(),
    };
    let err = s
        .add_record(f.pcn_b, ep.id, &rec(RecordKind::Assessment, "{}"), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound));
    let (_, ep) = s
        .add_record(
            f.pcn_a,
            ep.id,
            &rec(RecordKind::Assessment, "{\"v\":1}"),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::Assessed);
    let (_, ep) = s
        .add_record(
            f.pcn_a,
            ep.id,
            &rec(RecordKind::Assessment, "{\"v\":2}"),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        ep.state,
        EpisodeState::Assessed,
        "reassessment keeps the state"
    );
    let (_, ep) = s
        .add_record(
            f.pcn_a,
            ep.id,
            &rec(RecordKind::Plan, "{\"plan\":1}"),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::PlanAgreed);
    s.assign_episode(f.pcn_a, ep.id, ep.version, f.worker_a, Utc::now(), &actor())
        .await
        .unwrap();
    let ep = s.get_episode(f.pcn_a, ep.id).await.unwrap().unwrap();
    let due = s
        .due_records(
            f.pcn_a,
            RecordKind::Plan,
            f.worker_a,
            Utc::now() + Duration::days(7),
        )
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "the plan review is due within a week");
    assert!(s
        .due_records(f.pcn_a, RecordKind::Plan, f.worker_a, Utc::now())
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .due_records(
            f.pcn_a,
            RecordKind::Plan,
            f.worker_a2,
            Utc::now() + Duration::days(7)
        )
        .await
        .unwrap()
        .is_empty());
    let all = s.records_for_person(f.pcn_a, ep.person_id).await.unwrap();
    assert_eq!(all.len(), 3, "earlier versions kept");
    assert_eq!(all[0].body, "{\"v\":1}");
    // A safeguarding concern is open until its supervisor closes it.
    let mut concern = rec(RecordKind::Safeguarding, "{\"concern\":\"x\"}");
    concern.status = "open".into();
    concern.assigned_to = Some(f.manager_a);
    let (c, _) = s
        .add_record(f.pcn_a, ep.id, &concern, &actor())
        .await
        .unwrap();
    let open = s
        .records_by_status(f.pcn_a, RecordKind::Safeguarding, "open", Some(f.manager_a))
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert!(s
        .records_by_status(f.pcn_a, RecordKind::Safeguarding, "open", Some(f.worker_a))
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .records_by_status(f.pcn_b, RecordKind::Safeguarding, "open", None)
        .await
        .unwrap()
        .is_empty());
    let stale = s
        .update_record(
            f.pcn_a,
            c.id,
            c.version + 1,
            "closed",
            "{}",
            "closed",
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StorageError::Stale));
    let other = s
        .update_record(f.pcn_b, c.id, c.version, "closed", "{}", "closed", &actor())
        .await
        .unwrap_err();
    assert!(matches!(other, StorageError::NotFound));
    let closed = s
        .update_record(
            f.pcn_a,
            c.id,
            c.version,
            "closed",
            "{\"done\":1}",
            "Closed",
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!((closed.status.as_str(), closed.version), ("closed", 2));
    assert!(s
        .records_by_status(f.pcn_a, RecordKind::Safeguarding, "open", None)
        .await
        .unwrap()
        .is_empty());
    // Discharge with a summary, in one step; then only health service use may be added.
    let stale = s
        .discharge(
            f.pcn_a,
            ep.id,
            ep.version - 1,
            DischargeReason::GoalsMet,
            "{}",
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StorageError::Stale));
    let ep = s
        .discharge(
            f.pcn_a,
            ep.id,
            ep.version,
            DischargeReason::GoalsMet,
            "{\"summary\":\"done\"}",
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::Discharged);
    assert_eq!(ep.discharge_reason, Some(DischargeReason::GoalsMet));
    let err = s
        .add_record(f.pcn_a, ep.id, &rec(RecordKind::Plan, "{}"), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)));
    s.add_record(f.pcn_a, ep.id, &rec(RecordKind::HealthUse, "{}"), &actor())
        .await
        .unwrap();
    let kinds: Vec<RecordKind> = s
        .records_for_person(f.pcn_a, ep.person_id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.kind)
        .collect();
    assert!(kinds.contains(&RecordKind::Discharge) && kinds.contains(&RecordKind::HealthUse));
    let audit = s.all_audit().await.unwrap();
    assert!(audit.iter().any(|a| a.action == "assessment.create"));
    assert!(audit.iter().any(|a| a.action == "safeguarding.update"));
    assert!(audit.iter().any(|a| a.action == "episode.discharge"));
}

/// A new version of a plan is saved only on the latest one, even when two are sent at once:
/// one wins, the other is told it is stale and saves nothing.
pub async fn a_new_version_is_saved_only_on_the_latest(s: Arc<dyn Storage>) {
    use domain::RecordKind;
    use storage::NewRecord;
    let f = fixture(&*s).await;
    let ep = accepted_episode(&*s, &f, "Versions").await;
    let plan = |body: &str| NewRecord {
        kind: RecordKind::Plan,
        status: String::new(),
        body: body.into(),
        assigned_to: None,
        due_at: None,
        summary: "Plan saved".into(),
        at: Utc::now(),
    };
    let plans = |s: Arc<dyn Storage>| async move {
        s.records_for_person(f.pcn_a, ep.person_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == RecordKind::Plan)
            .map(|r| r.body)
            .collect::<Vec<_>>()
    };
    // A "review" of a plan that does not exist, and a second "first" plan, are stale.
    let err = s
        .add_record_on_latest(f.pcn_a, ep.id, &plan("{\"v\":0}"), Some(999_999), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Stale), "{err:?}");
    let (first, _) = s
        .add_record_on_latest(f.pcn_a, ep.id, &plan("{\"v\":1}"), None, &actor())
        .await
        .unwrap();
    let err = s
        .add_record_on_latest(f.pcn_a, ep.id, &plan("{\"v\":1b}"), None, &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Stale), "{err:?}");
    // Another PCN cannot add to it at all.
    let err = s
        .add_record_on_latest(f.pcn_b, ep.id, &plan("{}"), Some(first.id), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound), "{err:?}");
    // Two reviews of the first version at once: exactly one is saved.
    let (pa, pb, who) = (plan("{\"v\":\"2a\"}"), plan("{\"v\":\"2b\"}"), actor());
    let (a, b) = tokio::join!(
        s.add_record_on_latest(f.pcn_a, ep.id, &pa, Some(first.id), &who),
        s.add_record_on_latest(f.pcn_a, ep.id, &pb, Some(first.id), &who),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(),
        1,
        "one wins: {a:?} {b:?}"
    );
    let lost = if a.is_ok() { b } else { a };
    assert!(matches!(lost, Err(StorageError::Stale)), "{lost:?}");
    assert_eq!(plans(s.clone()).await.len(), 2, "the first and one review");
}
