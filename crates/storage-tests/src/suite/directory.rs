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
