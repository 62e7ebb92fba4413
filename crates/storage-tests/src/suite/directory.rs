//! The service directory's organisations, read together by id.

use super::actor;
use std::sync::Arc;
use storage::Storage;

pub async fn directory_organisations_are_read_together(s: Arc<dyn Storage>) {
    use storage::DirectoryBatch;
    let org = |id: &str, name: &str| (id.to_string(), name.to_string(), "{}".to_string());
    s.import_directory(
        &DirectoryBatch {
            organizations: vec![
                org("org-a", "Allotment Friends"),
                org("org-b", "Befriending Line"),
                org("org-c", "Citizens Advice Millbrook"),
            ],
            taxonomies: vec![],
            terms: vec![],
            services: vec![],
            replace_listings: false,
            source: "conformance".into(),
        },
        &actor(),
    )
    .await
    .unwrap();
    let ids = ["org-c", "org-a", "org-missing"].map(String::from);
    let mut found = s.dir_organizations_in(&ids).await.unwrap();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let names: Vec<&str> = found.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Allotment Friends", "Citizens Advice Millbrook"]);
    assert!(s.dir_organizations_in(&[]).await.unwrap().is_empty());
}

/// A manager's mapping of a foreign taxonomy term: kept, replaced, forgotten; each change
/// moves the directory generation on (so every node reclassifies) and is audited; an
/// unknown term is refused.
pub async fn taxonomy_terms_are_mapped_to_concepts(s: Arc<dyn Storage>) {
    use storage::{DirDoc, DirectoryBatch};
    s.import_directory(
        &DirectoryBatch {
            organizations: vec![],
            taxonomies: vec![DirDoc {
                id: "tax-x".into(),
                parent_id: None,
                doc: "{}".into(),
            }],
            terms: vec![DirDoc {
                id: "term-x".into(),
                parent_id: Some("tax-x".into()),
                doc: "{}".into(),
            }],
            services: vec![],
            replace_listings: false,
            source: "conformance".into(),
        },
        &actor(),
    )
    .await
    .unwrap();
    assert!(s.dir_term_concepts().await.unwrap().is_empty());
    let g0 = s.directory_generation().await.unwrap();
    s.set_dir_term_concepts("term-x", Some("drug_alcohol,peer_support"), &actor())
        .await
        .unwrap();
    s.set_dir_term_concepts("term-x", Some("drug_alcohol"), &actor())
        .await
        .unwrap();
    assert_eq!(
        s.dir_term_concepts().await.unwrap(),
        vec![("term-x".to_string(), "drug_alcohol".to_string())]
    );
    assert!(s.directory_generation().await.unwrap() >= g0 + 2);
    s.set_dir_term_concepts("term-x", None, &actor())
        .await
        .unwrap();
    assert!(s.dir_term_concepts().await.unwrap().is_empty());
    assert!(matches!(
        s.set_dir_term_concepts("no-such-term", Some("x"), &actor())
            .await,
        Err(storage::StorageError::NotFound)
    ));
    let audit = s.all_audit().await.unwrap();
    assert!(
        audit
            .iter()
            .filter(|e| e.action == "directory.term_mapping")
            .count()
            >= 3
    );
}

/// Staff confirm or reject a concept read from one listing; the review is kept, audited and
/// moves the directory on.
pub async fn listing_concepts_are_reviewed(s: Arc<dyn Storage>) {
    use storage::{DirServiceWrite, DirectoryBatch};
    s.import_directory(
        &DirectoryBatch {
            organizations: vec![],
            taxonomies: vec![],
            terms: vec![],
            services: vec![DirServiceWrite {
                id: "svc-r".into(),
                organization_id: None,
                name: "Reservoir Walk".into(),
                status: "active".into(),
                doc: "{}".into(),
                listing: "{}".into(),
                location_ids: vec![],
            }],
            replace_listings: false,
            source: "conformance".into(),
        },
        &actor(),
    )
    .await
    .unwrap();
    assert!(s.dir_service_concepts().await.unwrap().is_empty());
    let g0 = s.directory_generation().await.unwrap();
    s.set_dir_service_concept("svc-r", "walking", Some("confirmed"), &actor())
        .await
        .unwrap();
    s.set_dir_service_concept("svc-r", "immigration", Some("confirmed"), &actor())
        .await
        .unwrap();
    s.set_dir_service_concept("svc-r", "immigration", Some("rejected"), &actor())
        .await
        .unwrap();
    assert_eq!(
        s.dir_service_concepts().await.unwrap(),
        vec![
            ("svc-r".into(), "immigration".into(), "rejected".into()),
            ("svc-r".into(), "walking".into(), "confirmed".into()),
        ]
    );
    assert!(s.directory_generation().await.unwrap() >= g0 + 3);
    s.set_dir_service_concept("svc-r", "walking", None, &actor())
        .await
        .unwrap();
    assert_eq!(s.dir_service_concepts().await.unwrap().len(), 1);
    assert!(matches!(
        s.set_dir_service_concept("no-such-service", "walking", Some("confirmed"), &actor())
            .await,
        Err(storage::StorageError::NotFound)
    ));
    assert!(s
        .set_dir_service_concept("svc-r", "walking", Some("maybe"), &actor())
        .await
        .is_err());
    let audit = s.all_audit().await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "directory.service_concept")
            .count(),
        4
    );
}
