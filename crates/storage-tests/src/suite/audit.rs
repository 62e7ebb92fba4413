//! The audit chain: every write is recorded, and the chain verifies.

use super::{actor, fixture, person};
use std::sync::Arc;
use storage::{AuditEntry, AuditFilter, AuditVerification, Storage};

pub async fn audit_chain_records_every_write(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let p = s
        .create_person(f.pcn_a, &person("Aud", "It", "1999-09-09"), &actor())
        .await
        .unwrap();
    s.update_person(f.pcn_a, p.id, 1, &p.details, &actor())
        .await
        .unwrap();
    s.append_audit(&AuditEntry::new(
        &actor(),
        "person.read",
        "person",
        Some(p.id),
        Some(f.pcn_a),
    ))
    .await
    .unwrap();
    let for_person = s
        .list_audit(&AuditFilter {
            entity: Some("person".into()),
            entity_id: Some(p.id),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = for_person.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["person.read", "person.update", "person.create"]
    );
    let b_only = s
        .list_audit(&AuditFilter {
            pcn_id: Some(f.pcn_b),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(b_only.iter().all(|r| r.pcn_id == Some(f.pcn_b)));

    // Concurrent appends still form one unbroken chain.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.append_audit(&AuditEntry::new(
                &actor(),
                "person.read",
                "person",
                Some(i),
                None,
            ))
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    match s.verify_audit().await.unwrap() {
        // 4 accounts + create, update, read + 20 reads.
        AuditVerification::Intact { records } => assert_eq!(records, 27),
        broken => panic!("chain broken: {broken:?}"),
    }
}
