//! An episode is one journey of a person through social prescribing, from referral to
//! discharge. Its states and the legal moves between them live here and only here.

use crate::Code;

code_enum!(
    /// Where an episode is in the journey.
    EpisodeState {
        Referred => ("referred", "Referred"),
        Contacting => ("contacting", "Contacting"),
        Accepted => ("accepted", "Accepted"),
        Declined => ("declined", "Declined"),
        UnableToContact => ("unable_to_contact", "Unable to contact"),
        Assessed => ("assessed", "Assessed"),
        PlanAgreed => ("plan_agreed", "Plan agreed"),
        Active => ("active", "Active"),
        Discharged => ("discharged", "Discharged"),
    }
);

code_enum!(
    /// Why an episode ended.
    DischargeReason {
        GoalsMet => ("goals_met", "Goals met"),
        Disengaged => ("disengaged", "Disengaged"),
        DeclinedFurtherSupport => ("declined_further_support", "Declined further support"),
        ReferredElsewhere => ("referred_elsewhere", "Referred to another service"),
        MovedAway => ("moved_away", "Moved away"),
        Died => ("died", "Died"),
        Other => ("other", "Other"),
    }
);

/// Why a move between states was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    NotAllowed {
        from: EpisodeState,
        to: EpisodeState,
    },
    ReasonRequired,
    ReasonNotExpected,
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAllowed { from, to } => {
                let next: Vec<&str> = from.next_states().iter().map(|s| s.label()).collect();
                if next.is_empty() {
                    write!(
                        f,
                        "An episode that is {} is closed and cannot become {}",
                        from.label().to_lowercase(),
                        to.label().to_lowercase()
                    )
                } else {
                    write!(
                        f,
                        "An episode that is {} cannot become {}; it can become: {}",
                        from.label().to_lowercase(),
                        to.label().to_lowercase(),
                        next.join(", ").to_lowercase()
                    )
                }
            }
            Self::ReasonRequired => f.write_str("Choose a reason for discharge"),
            Self::ReasonNotExpected => {
                f.write_str("A discharge reason is only given when discharging")
            }
        }
    }
}

impl EpisodeState {
    /// The states this one may move to.
    pub fn next_states(self) -> &'static [EpisodeState] {
        use EpisodeState::*;
        match self {
            Referred => &[Contacting, Declined, Discharged],
            Contacting => &[Accepted, Declined, UnableToContact],
            Accepted => &[Assessed, Discharged],
            Assessed => &[PlanAgreed, Discharged],
            PlanAgreed => &[Active, Discharged],
            Active => &[Discharged],
            Declined | UnableToContact | Discharged => &[],
        }
    }

    /// Checks a move, with the discharge reason the move needs (only discharge has one).
    pub fn transition(
        self,
        to: EpisodeState,
        reason: Option<DischargeReason>,
    ) -> Result<EpisodeState, TransitionError> {
        if !self.next_states().contains(&to) {
            return Err(TransitionError::NotAllowed { from: self, to });
        }
        match (to, reason) {
            (EpisodeState::Discharged, None) => Err(TransitionError::ReasonRequired),
            (EpisodeState::Discharged, Some(_)) => Ok(to),
            (_, Some(_)) => Err(TransitionError::ReasonNotExpected),
            (_, None) => Ok(to),
        }
    }

    /// Closed episodes are no longer on anyone's caseload.
    pub fn is_closed(self) -> bool {
        self.next_states().is_empty()
    }

    /// A move that ends the episode from the person page (decline, unable to contact):
    /// asked to confirm, with a reason.
    pub fn is_closing(self) -> bool {
        matches!(self, EpisodeState::Declined | EpisodeState::UnableToContact)
    }

    /// The state a closed episode goes back to when it is reopened: the one it was closed
    /// from, or (for episodes closed before that was kept) the nearest open state.
    pub fn reopens_to(self, closed_from: Option<EpisodeState>) -> EpisodeState {
        match closed_from {
            Some(s) if !s.is_closed() => s,
            _ => match self {
                EpisodeState::Discharged => EpisodeState::Active,
                _ => EpisodeState::Contacting,
            },
        }
    }

    /// Open states, for queries.
    pub fn open_states() -> Vec<EpisodeState> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| !s.is_closed())
            .collect()
    }

    /// Tag colour class for pages.
    pub fn tag(self) -> &'static str {
        use EpisodeState::*;
        match self {
            Referred => "blue",
            Contacting => "purple",
            Accepted | Assessed | PlanAgreed => "turquoise",
            Active => "green",
            Declined | UnableToContact => "orange",
            Discharged => "grey",
        }
    }
}

/// How long after closing an episode may be reopened (a mistaken decline, a discharge
/// the person asks to undo). After that, a new referral opens a new episode.
pub const REOPEN_DAYS: i64 = 14;

/// Whether an episode closed at `closed_at` may still be reopened at `now`.
pub fn may_reopen(
    state: EpisodeState,
    closed_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    if !state.is_closed() {
        return Err("This episode is open: there is nothing to reopen".into());
    }
    match closed_at {
        Some(at) if now - at <= chrono::Duration::days(REOPEN_DAYS) => Ok(()),
        _ => Err(format!(
            "An episode can be reopened for {REOPEN_DAYS} days after it closed; this one closed \
             earlier. Make a new referral to open a new episode"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::EpisodeState::*;
    use super::*;

    #[test]
    fn the_happy_path_is_legal() {
        let mut s = Referred;
        for next in [Contacting, Accepted, Assessed, PlanAgreed, Active] {
            s = s.transition(next, None).unwrap();
        }
        assert_eq!(
            s.transition(Discharged, Some(DischargeReason::GoalsMet)),
            Ok(Discharged)
        );
    }

    #[test]
    fn first_contact_outcomes() {
        assert_eq!(Contacting.transition(Declined, None), Ok(Declined));
        assert_eq!(
            Contacting.transition(UnableToContact, None),
            Ok(UnableToContact)
        );
    }

    #[test]
    fn skipping_steps_is_refused() {
        assert_eq!(
            Referred.transition(Active, None),
            Err(TransitionError::NotAllowed {
                from: Referred,
                to: Active
            })
        );
        assert!(Contacting.transition(PlanAgreed, None).is_err());
    }

    #[test]
    fn closed_episodes_do_not_reopen() {
        for closed in [Declined, UnableToContact, Discharged] {
            assert!(closed.is_closed());
            for to in EpisodeState::ALL {
                assert!(closed.transition(*to, None).is_err());
            }
        }
        let msg = Discharged.transition(Active, None).unwrap_err().to_string();
        assert!(msg.contains("closed"), "{msg}");
    }

    #[test]
    fn a_closed_episode_reopens_within_the_window_to_where_it_was() {
        let now = chrono::Utc::now();
        let day = chrono::Duration::days(1);
        assert!(may_reopen(Declined, Some(now - day), now).is_ok());
        assert!(may_reopen(Discharged, Some(now - day * 14), now).is_ok());
        let late = may_reopen(Declined, Some(now - day * 15), now).unwrap_err();
        assert!(late.contains("14 days"), "{late}");
        assert!(may_reopen(Active, None, now).is_err());
        assert_eq!(Declined.reopens_to(Some(Referred)), Referred);
        assert_eq!(Discharged.reopens_to(Some(PlanAgreed)), PlanAgreed);
        assert_eq!(UnableToContact.reopens_to(None), Contacting);
        assert_eq!(Discharged.reopens_to(None), Active);
    }

    #[test]
    fn discharge_needs_a_reason_and_only_discharge_has_one() {
        assert_eq!(
            Active.transition(Discharged, None),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            Accepted.transition(Assessed, Some(DischargeReason::Other)),
            Err(TransitionError::ReasonNotExpected)
        );
    }

    #[test]
    fn error_lists_the_legal_moves() {
        let msg = Referred.transition(Active, None).unwrap_err().to_string();
        assert!(msg.contains("contacting"), "{msg}");
    }
}
