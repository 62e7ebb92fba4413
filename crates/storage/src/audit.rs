//! The audit log: who read or changed what, when and from where. Each record carries the
//! hash of the one before it, so removing or editing a record breaks the chain and
//! `linkwork audit verify` finds it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A record to append.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub ip: Option<String>,
    /// e.g. "person.read", "person.update", "signin.failed", "access.denied".
    pub action: String,
    /// e.g. "person", "episode", "user".
    pub entity: String,
    pub entity_id: Option<i64>,
    pub pcn_id: Option<i64>,
    pub detail: String,
}

impl AuditEntry {
    pub fn new(
        actor: &crate::Actor,
        action: &str,
        entity: &str,
        entity_id: Option<i64>,
        pcn_id: Option<i64>,
    ) -> Self {
        Self {
            at: crate::now(),
            actor_id: actor.user_id,
            actor_label: actor.label.clone(),
            ip: actor.ip.clone(),
            action: action.into(),
            entity: entity.into(),
            entity_id,
            pcn_id,
            detail: String::new(),
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// A stored record.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub pcn_id: Option<i64>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    fn as_entry(&self) -> AuditEntry {
        AuditEntry {
            at: self.at,
            actor_id: self.actor_id,
            actor_label: self.actor_label.clone(),
            ip: self.ip.clone(),
            action: self.action.clone(),
            entity: self.entity.clone(),
            entity_id: self.entity_id,
            pcn_id: self.pcn_id,
            detail: self.detail.clone(),
        }
    }
}

/// Narrows the audit log view.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub pcn_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action_prefix: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// The timestamp as hashed: fixed precision so both engines hash the same text.
pub fn canonical_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The hash of a record given the previous record's hash. Each field is length-prefixed
/// so that no two different records hash the same text.
pub fn chain_hash(prev_hash: &str, seq: i64, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    let fields: [String; 11] = [
        prev_hash.to_string(),
        seq.to_string(),
        canonical_time(&e.at),
        e.actor_id.map(|v| v.to_string()).unwrap_or_default(),
        e.actor_label.clone(),
        e.ip.clone().unwrap_or_default(),
        e.action.clone(),
        e.entity.clone(),
        e.entity_id.map(|v| v.to_string()).unwrap_or_default(),
        e.pcn_id.map(|v| v.to_string()).unwrap_or_default(),
        e.detail.clone(),
    ];
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerification {
    Intact { records: u64 },
    Broken { at_seq: i64, reason: String },
}

/// Recomputes every hash in order.
pub fn verify(records: &[AuditRecord]) -> AuditVerification {
    let mut prev = GENESIS_HASH.to_string();
    let mut prev_seq = 0;
    for r in records {
        if r.seq != prev_seq + 1 {
            return AuditVerification::Broken {
                at_seq: r.seq,
                reason: format!(
                    "record {} follows record {}: records are missing",
                    r.seq, prev_seq
                ),
            };
        }
        if r.prev_hash != prev {
            return AuditVerification::Broken {
                at_seq: r.seq,
                reason: "previous-hash link does not match".into(),
            };
        }
        if chain_hash(&prev, r.seq, &r.as_entry()) != r.hash {
            return AuditVerification::Broken {
                at_seq: r.seq,
                reason: "record content does not match its hash".into(),
            };
        }
        prev = r.hash.clone();
        prev_seq = r.seq;
    }
    AuditVerification::Intact {
        records: records.len() as u64,
    }
}

/// The chain's head at a moment: kept outside the database (exported by `linkwork audit
/// checkpoint`), it shows whether the chain up to that record was rewritten since, even by
/// someone who recomputed every hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
}

/// The head of `records` (in order), if there is one.
pub fn checkpoint(records: &[AuditRecord]) -> Option<Checkpoint> {
    records.last().map(|r| Checkpoint {
        seq: r.seq,
        hash: r.hash.clone(),
        at: r.at,
    })
}

/// Whether `records` (in order, from the first) still hold the checkpoint's record with its
/// hash: a chain cut short before it, or rewritten up to it, is broken.
pub fn verify_checkpoint(records: &[AuditRecord], cp: &Checkpoint) -> AuditVerification {
    let found = usize::try_from(cp.seq - 1)
        .ok()
        .and_then(|i| records.get(i))
        .filter(|r| r.seq == cp.seq);
    match found {
        None => AuditVerification::Broken {
            at_seq: cp.seq,
            reason: format!(
                "the checkpoint of {} names record {}, which the log no longer holds: records were removed",
                canonical_time(&cp.at),
                cp.seq
            ),
        },
        Some(r) if r.hash != cp.hash => AuditVerification::Broken {
            at_seq: cp.seq,
            reason: format!(
                "record {} no longer has the hash the checkpoint of {} recorded: the log was rewritten up to it",
                cp.seq,
                canonical_time(&cp.at)
            ),
        },
        Some(_) => AuditVerification::Intact {
            records: records.len() as u64,
        },
    }
}
