//! Users, sign-in throttling, sessions and one-time tokens.

use super::{actor, fixture};
use chrono::{Duration, Utc};
use domain::Role;
use std::sync::Arc;
use storage::{NewUser, Session, Storage, StorageError};

pub async fn accounts_throttling_sessions_and_tokens(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let dup = s
        .create_user(
            NewUser {
                email: "LW.A@example.org".into(),
                name: "x".into(),
                role: Role::Referrer,
                pcn_id: Some(f.pcn_a),
                partner_org_id: None,
                password_hash: "x".into(),
            },
            &actor(),
        )
        .await;
    assert!(
        matches!(dup, Err(StorageError::Duplicate(ref m)) if m.contains("lw.a@example.org")),
        "{dup:?}"
    );
    let u = s
        .user_by_email(" Lw.A@Example.org ")
        .await
        .unwrap()
        .expect("email lookups ignore case");
    // Several at once (a page naming the accounts on a timeline): any case, any PCN, only
    // those named.
    let mut named: Vec<i64> = s
        .users_by_emails(&[
            "LW.A@example.org".into(),
            "lw.b@example.org".into(),
            "nobody@example.org".into(),
        ])
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    named.sort_unstable();
    let mut want = vec![f.worker_a, f.worker_b];
    want.sort_unstable();
    assert_eq!(named, want);
    assert!(s.users_by_emails(&[]).await.unwrap().is_empty());
    let lock = Utc::now() + Duration::minutes(15);
    for i in 1..=4 {
        assert_eq!(
            s.record_login_failure(u.id, 5, lock, &actor())
                .await
                .unwrap(),
            i
        );
    }
    assert!(s
        .user_by_id(u.id)
        .await
        .unwrap()
        .unwrap()
        .locked_until
        .is_none());
    s.record_login_failure(u.id, 5, lock, &actor())
        .await
        .unwrap();
    let locked = s.user_by_id(u.id).await.unwrap().unwrap();
    assert!(
        locked.locked_until.is_some_and(|t| t > Utc::now()),
        "locked after five failures"
    );

    let now = storage::now();
    let sess = Session {
        id_hash: "h1".into(),
        user_id: u.id,
        csrf_token: "c".into(),
        created_at: now,
        last_seen_at: now,
        via: Some("test-provider".into()),
        id_token_hint: None,
    };
    s.create_session(&sess).await.unwrap();
    let (found, user) = s.session_with_user("h1").await.unwrap().unwrap();
    assert_eq!((found.user_id, found.csrf_token.as_str()), (u.id, "c"));
    assert_eq!(
        found.via.as_deref(),
        Some("test-provider"),
        "how it was signed in is kept"
    );
    assert_eq!((user.id, user.email.as_str()), (u.id, u.email.as_str()));
    assert_eq!(
        (found.created_at, found.last_seen_at),
        (sess.created_at, sess.last_seen_at),
        "the session's own times, not the user's"
    );
    s.create_api_token(u.id, "old script", "oldtok", &actor())
        .await
        .unwrap();
    s.set_password(u.id, "new-hash", &actor()).await.unwrap();
    assert!(
        s.session_with_user("h1").await.unwrap().is_none(),
        "a password change ends sessions"
    );
    assert!(
        s.api_token_by_hash("oldtok", Utc::now())
            .await
            .unwrap()
            .is_none(),
        "and revokes API tokens"
    );
    let after = s.user_by_id(u.id).await.unwrap().unwrap();
    assert!(after.locked_until.is_none() && after.password_hash == "new-hash");

    s.create_session(&Session {
        id_hash: "h2".into(),
        ..sess.clone()
    })
    .await
    .unwrap();
    s.set_user_disabled(u.id, true, &actor()).await.unwrap();
    assert!(s.user_by_id(u.id).await.unwrap().unwrap().disabled);
    assert!(
        s.session_with_user("h2").await.unwrap().is_none(),
        "disabling ends sessions"
    );

    let t = s
        .create_api_token(f.worker_a2, "script", "tokhash", &actor())
        .await
        .unwrap();
    assert_eq!(
        s.api_token_by_hash("tokhash", Utc::now())
            .await
            .unwrap()
            .unwrap()
            .id,
        t.id
    );
    assert!(s.list_api_tokens(f.worker_a2).await.unwrap()[0]
        .last_used_at
        .is_some());
    assert!(
        matches!(
            s.revoke_api_token(f.worker_a, t.id, &actor()).await,
            Err(StorageError::NotFound)
        ),
        "only the owner revokes"
    );
    s.revoke_api_token(f.worker_a2, t.id, &actor())
        .await
        .unwrap();
    assert!(s
        .api_token_by_hash("tokhash", Utc::now())
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.list_users(Some(f.pcn_a)).await.unwrap().len(), 3);
    assert_eq!(s.list_users(None).await.unwrap().len(), 4);
}

/// A one-time notice is read once, only by its user, and not after it expires.
pub async fn notices_are_shown_once(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let now = Utc::now();
    s.put_notice(
        f.worker_a,
        "hash-1",
        "secret text",
        now + Duration::minutes(5),
    )
    .await
    .unwrap();
    assert_eq!(
        s.take_notice(f.worker_b, "hash-1", now).await.unwrap(),
        None,
        "another user's notice is not theirs"
    );
    assert_eq!(
        s.take_notice(f.worker_a, "hash-1", now)
            .await
            .unwrap()
            .as_deref(),
        Some("secret text")
    );
    assert_eq!(
        s.take_notice(f.worker_a, "hash-1", now).await.unwrap(),
        None,
        "once"
    );
    s.put_notice(f.worker_a, "hash-2", "late", now + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        s.take_notice(f.worker_a, "hash-2", now + Duration::minutes(6))
            .await
            .unwrap(),
        None,
        "expired"
    );
}

/// A successful sign-in is remembered; a changed name and role are saved and audited, and a
/// changed role ends the account's sessions.
pub async fn accounts_are_changed_and_sign_ins_remembered(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let u = s.user_by_id(f.worker_a).await.unwrap().unwrap();
    assert_eq!(u.last_sign_in_at, None);
    s.record_login_success(u.id, &actor()).await.unwrap();
    let u = s.user_by_id(f.worker_a).await.unwrap().unwrap();
    assert!(u
        .last_sign_in_at
        .is_some_and(|t| Utc::now() - t < Duration::minutes(1)));
    let session = Session {
        id_hash: "h-change".into(),
        user_id: u.id,
        csrf_token: "c".into(),
        created_at: Utc::now(),
        last_seen_at: Utc::now(),
        via: None,
        id_token_hint: None,
    };
    s.create_session(&session).await.unwrap();
    // A name alone keeps the session.
    s.update_user(u.id, "Renamed Worker", Role::LinkWorker, &actor())
        .await
        .unwrap();
    assert!(s.session_with_user("h-change").await.unwrap().is_some());
    let changed = s
        .update_user(u.id, "Renamed Worker", Role::Manager, &actor())
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.role),
        ("Renamed Worker", Role::Manager)
    );
    assert!(
        s.session_with_user("h-change").await.unwrap().is_none(),
        "a new role ends the sessions"
    );
    let audit = s
        .list_audit(&storage::AuditFilter {
            action_prefix: Some("user.update".into()),
            entity_id: Some(u.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit
        .iter()
        .any(|a| a.detail.contains("role Link worker to")));
    assert!(matches!(
        s.update_user(9_999, "Nobody", Role::Manager, &actor())
            .await,
        Err(StorageError::NotFound)
    ));
    // An account keeps its kind, and a name.
    for (name, role) in [
        ("Renamed Worker", Role::Partner),
        ("Renamed Worker", Role::Operator),
        ("  ", Role::Manager),
    ] {
        assert!(
            matches!(
                s.update_user(u.id, name, role, &actor()).await,
                Err(StorageError::Rule(_))
            ),
            "{name:?} as {role:?}"
        );
    }
    assert_eq!(
        s.user_by_id(u.id).await.unwrap().unwrap().role,
        Role::Manager,
        "a refused change changes nothing"
    );
}

/// Single sign-on: an identity links to one account only, an account has one identity per
/// provider, a sign-in in flight is taken once, and unlinking ends the sessions it opened.
pub async fn sign_on_identities_link_once_and_attempts_are_taken_once(s: Arc<dyn Storage>) {
    use storage::{LinkRefused, SignInAttempt};
    let f = fixture(&*s).await;
    let attempt = SignInAttempt {
        state_hash: "state-1".into(),
        browser_hash: "browser-1".into(),
        provider: "cis2".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        link_user_id: Some(f.worker_a),
        next: "/".into(),
        created_at: Utc::now(),
    };
    s.put_sign_in_attempt(&attempt).await.unwrap();
    let taken = s.take_sign_in_attempt("state-1").await.unwrap().unwrap();
    assert_eq!(
        (taken.browser_hash.as_str(), taken.link_user_id),
        ("browser-1", Some(f.worker_a))
    );
    assert!(
        s.take_sign_in_attempt("state-1").await.unwrap().is_none(),
        "a state is taken once"
    );

    let linked = s
        .link_identity(f.worker_a, "cis2", "sub-a", "admin", "", &actor())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.link_identity(f.worker_a2, "cis2", "sub-a", "admin", "", &actor())
            .await
            .unwrap()
            .unwrap_err(),
        LinkRefused::TakenByAnother
    );
    assert_eq!(
        s.link_identity(f.worker_a, "cis2", "sub-other", "admin", "", &actor())
            .await
            .unwrap()
            .unwrap_err(),
        LinkRefused::AccountHasOne
    );
    let (found, user) = s.identity_user("cis2", "sub-a").await.unwrap().unwrap();
    assert_eq!((found.id, user.id), (linked.id, f.worker_a));
    assert!(
        found.confirmed_at.is_none(),
        "an administrator's link waits for its holder"
    );
    s.confirm_identity(linked.id, &actor()).await.unwrap();
    let (found, _) = s.identity_user("cis2", "sub-a").await.unwrap().unwrap();
    assert!(found.confirmed_at.is_some());
    assert!(s.identity_user("entra", "sub-a").await.unwrap().is_none());

    let now = storage::now();
    for (hash, via) in [("sso-1", Some("cis2")), ("pw-1", None)] {
        s.create_session(&Session {
            id_hash: hash.into(),
            user_id: f.worker_a,
            csrf_token: "c".into(),
            created_at: now,
            last_seen_at: now,
            via: via.map(String::from),
            id_token_hint: None,
        })
        .await
        .unwrap();
    }
    assert!(
        !s.unlink_identity(f.worker_a2, linked.id, &actor())
            .await
            .unwrap(),
        "only the account's own link is removed"
    );
    assert!(s
        .unlink_identity(f.worker_a, linked.id, &actor())
        .await
        .unwrap());
    assert!(s.session_with_user("sso-1").await.unwrap().is_none());
    assert!(
        s.session_with_user("pw-1").await.unwrap().is_some(),
        "a password session stays"
    );
    assert!(s.identities_of(f.worker_a).await.unwrap().is_empty());

    let made = s
        .create_user_with_identity(
            NewUser {
                email: "New.Person@nhs.example".into(),
                name: "New Person".into(),
                role: domain::Role::Referrer,
                pcn_id: Some(f.pcn_a),
                partner_org_id: None,
                password_hash: "!".into(),
            },
            "entra",
            "sub-new",
            "new.person@nhs.example",
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(made.email, "new.person@nhs.example");
    let ids = s.identities_of(made.id).await.unwrap();
    assert_eq!(ids[0].linked_how, "first sign-in");
    assert_eq!(ids[0].label, "new.person@nhs.example");
    assert!(ids[0].confirmed_at.is_some());

    // Sessions past their limits are cleared.
    let old = storage::now() - chrono::Duration::hours(13);
    s.create_session(&Session {
        id_hash: "old".into(),
        user_id: f.worker_a,
        csrf_token: "c".into(),
        created_at: old,
        last_seen_at: storage::now(),
        via: Some("cis2".into()),
        id_token_hint: Some("token".into()),
    })
    .await
    .unwrap();
    let purged = s
        .purge_sessions(
            storage::now() - Duration::minutes(30),
            storage::now() - Duration::hours(12),
        )
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(s.session_with_user("old").await.unwrap().is_none());
    assert!(s.session_with_user("pw-1").await.unwrap().is_some());
}
