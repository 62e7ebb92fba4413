//! The roles people have in Linkwork and what each may do.

code_enum!(
    /// A user's role within their PCN (or, for partners, their VCSE organisation; the
    /// deployment operator belongs to no PCN and runs what the PCNs share).
    Role {
        Admin => ("admin", "Administrator"),
        Manager => ("manager", "PCN manager"),
        LinkWorker => ("link_worker", "Link worker"),
        Supervisor => ("supervisor", "GP supervisor"),
        Referrer => ("referrer", "Referrer"),
        Partner => ("partner", "Community partner"),
        Operator => ("operator", "Deployment operator"),
    }
);

impl Role {
    /// May read people's records (search, person page, caseloads).
    pub fn can_read_people(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker | Role::Supervisor)
    }
    /// May merge two records of one person, and undo a merge.
    pub fn can_merge_people(self) -> bool {
        matches!(self, Role::Manager)
    }
    /// May create and edit people's demographics.
    pub fn can_edit_people(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker)
    }
    /// May make a referral to social prescribing.
    pub fn can_refer(self) -> bool {
        matches!(self, Role::Referrer | Role::LinkWorker | Role::Manager)
    }
    /// May assign episodes from the unassigned queue and move episodes through their states.
    pub fn can_triage(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker)
    }
    /// May see any link worker's caseload in the PCN (not only their own).
    pub fn can_view_all_caseloads(self) -> bool {
        matches!(self, Role::Manager | Role::Supervisor)
    }
    /// May read the audit log.
    pub fn can_view_audit(self) -> bool {
        matches!(self, Role::Manager | Role::Admin)
    }
    /// May manage user accounts: a PCN administrator its PCN's staff, the operator partner
    /// organisations' and other operators' accounts.
    pub fn can_manage_users(self) -> bool {
        matches!(self, Role::Admin | Role::Operator)
    }
    /// May create accounts of `role`: a PCN's administrator its staff roles, the deployment
    /// operator partners and operators. Nobody else, so no PCN can mint an account that
    /// reads what another PCN shares with a partner.
    pub fn may_create(self, role: Role) -> bool {
        match self {
            Role::Admin => !matches!(role, Role::Partner | Role::Operator),
            Role::Operator => matches!(role, Role::Partner | Role::Operator),
            _ => false,
        }
    }
    /// Runs what the whole deployment shares: partner organisations with their accounts and
    /// API clients, which directory organisation each partner keeps, the national SNOMED
    /// code catalogue and the ARRS maximum amounts. Reads no one's record.
    pub fn can_operate(self) -> bool {
        matches!(self, Role::Operator)
    }
    /// May search the community directory and read service pages.
    pub fn can_search_directory(self) -> bool {
        !matches!(self, Role::Partner | Role::Operator)
    }
    /// May add, edit, retire and import any directory listing (linking listings to partner
    /// organisations is the operator's: [`Role::can_operate`]).
    pub fn can_manage_directory(self) -> bool {
        matches!(self, Role::Manager | Role::Admin)
    }
    /// May open the manager's reports and dashboard (aggregate figures, no one named).
    pub fn can_view_reports(self) -> bool {
        matches!(self, Role::Manager | Role::Admin)
    }
    /// May read and change employment records and ARRS claims (salaries are confidential).
    pub fn can_manage_workforce(self) -> bool {
        matches!(self, Role::Manager)
    }
    /// May record GP supervision sessions.
    pub fn can_record_supervision(self) -> bool {
        matches!(self, Role::Manager | Role::Supervisor)
    }
    /// Holds a caseload.
    pub fn has_caseload(self) -> bool {
        matches!(self, Role::LinkWorker)
    }
    /// Sees the link worker's day (today's contacts and follow-ups).
    pub fn has_today(self) -> bool {
        matches!(self, Role::LinkWorker)
    }
    /// Sees the referrals waiting on community organisations.
    pub fn can_view_waiting(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker | Role::Supervisor)
    }
    /// Sees safeguarding concerns (supervisors those raised to them).
    pub fn can_view_safeguarding(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker | Role::Supervisor)
    }
    /// Reviews and closes safeguarding concerns: the GP supervisor.
    pub fn can_close_safeguarding(self) -> bool {
        matches!(self, Role::Supervisor)
    }
    /// Prepares SNOMED codes for the GP record and confirms them recorded.
    pub fn can_code(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker | Role::Supervisor)
    }
    /// Registers API clients: a PCN's administrator its GP systems and hubs, the operator
    /// partner organisations' systems.
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Admin | Role::Operator)
    }
    /// Logs and works care home requests.
    pub fn can_work_care_homes(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker)
    }
    /// Sees supervision sessions (link workers their own).
    pub fn can_view_supervision(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker | Role::Supervisor)
    }
    /// Sees and records training (link workers their own).
    pub fn can_record_training(self) -> bool {
        matches!(self, Role::Manager | Role::LinkWorker)
    }
    /// Sets the PCN's training requirements and practice list sizes.
    pub fn can_manage_pcn_settings(self) -> bool {
        matches!(self, Role::Manager)
    }
    /// Sees the directory's organisations and which partner keeps each (changing the link
    /// is the operator's).
    pub fn can_view_partner_links(self) -> bool {
        matches!(self, Role::Manager | Role::Admin | Role::Operator)
    }
    /// Holds the PCN's side of its relationships with partner organisations: asks to refer
    /// to one through Linkwork, or ends it.
    pub fn can_manage_partner_links(self) -> bool {
        matches!(self, Role::Manager)
    }
    /// Works for a VCSE partner organisation: sees only its referrals and listings.
    pub fn is_partner(self) -> bool {
        matches!(self, Role::Partner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(*r));
        }
        assert_eq!(Role::from_code("superuser"), None);
    }

    #[test]
    fn referrers_and_partners_cannot_read_people() {
        assert!(!Role::Referrer.can_read_people());
        assert!(!Role::Partner.can_read_people());
        assert!(!Role::Admin.can_read_people());
        assert!(Role::LinkWorker.can_read_people());
        assert!(!Role::Operator.can_read_people());
    }

    #[test]
    fn only_the_operator_creates_partner_accounts() {
        assert!(!Role::Admin.may_create(Role::Partner));
        assert!(!Role::Admin.may_create(Role::Operator));
        assert!(Role::Admin.may_create(Role::LinkWorker));
        assert!(Role::Operator.may_create(Role::Partner));
        assert!(!Role::Operator.may_create(Role::LinkWorker));
        assert!(!Role::Manager.may_create(Role::Referrer));
    }
}
