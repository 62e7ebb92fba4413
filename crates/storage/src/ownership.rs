//! What the PCNs of one deployment share, and who holds it: the relationships through which
//! a PCN refers people to a partner organisation; and need-to-know inside a PCN, the reasons
//! a link worker gives to open someone who is not theirs (docs/security.md, "Ownership").

use crate::{Actor, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A PCN's relationship with a partner organisation. It is live only while both sides hold
/// it: only then does the partner see the PCN's referrals to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerLink {
    pub pcn_id: i64,
    pub pcn_name: String,
    pub partner_org_id: i64,
    pub partner_name: String,
    /// When the PCN's manager asked for (or agreed to) the relationship; `None` once ended.
    pub pcn_agreed_at: Option<DateTime<Utc>>,
    /// When the partner accepted it; `None` until then, or once the partner ended it.
    pub partner_agreed_at: Option<DateTime<Utc>>,
}

impl PartnerLink {
    /// Both sides hold it.
    pub fn is_live(&self) -> bool {
        self.pcn_agreed_at.is_some() && self.partner_agreed_at.is_some()
    }
}

/// Which side of a relationship is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSide {
    /// The PCN (its manager).
    Pcn,
    /// The partner organisation (one of its users).
    Partner,
}

#[async_trait]
pub trait OwnershipStore: Send + Sync {
    /// Relationships, filtered by PCN and/or partner organisation, by PCN then partner name.
    async fn partner_links(
        &self,
        pcn: Option<i64>,
        partner_org_id: Option<i64>,
    ) -> Result<Vec<PartnerLink>>;
    /// One side agrees to (`agreed`) or ends the relationship of `pcn` with `partner_org_id`;
    /// audited under the PCN. The partner side may only accept what the PCN has asked for
    /// (`StorageError::NotFound` otherwise, so a partner cannot learn of other PCNs).
    async fn set_partner_link(
        &self,
        pcn: i64,
        partner_org_id: i64,
        side: LinkSide,
        agreed: bool,
        actor: &Actor,
    ) -> Result<PartnerLink>;
    /// Whether `pcn` refers to `partner_org_id` through Linkwork now.
    async fn partner_link_live(&self, pcn: i64, partner_org_id: i64) -> Result<bool>;

    /// Whether `person` of `pcn` is `user`'s to open without giving a reason: an episode of
    /// theirs or an open one waiting in triage, a record they added (its `person.create`
    /// audit entry), or a reason they gave that is still in force at `now`. (A referral they
    /// made is not enough: referring someone would otherwise open any record.)
    async fn person_is_theirs(
        &self,
        pcn: i64,
        person: i64,
        user: i64,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Records why `user` opens `person` (until `until`), audited under the PCN with the
    /// reason. `StorageError::NotFound` when the person is not in `pcn`.
    async fn give_access_reason(
        &self,
        pcn: i64,
        person: i64,
        user: i64,
        reason: &str,
        until: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<()>;
}
