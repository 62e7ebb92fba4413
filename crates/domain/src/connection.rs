//! Connections to community services: a signpost (information given) or a referral that
//! follows the HL7 Gravity SDOH closed-loop Task statuses.

use crate::Code;
use std::fmt;

code_enum!(
    /// Signpost (the person contacts the service themselves) or referral (closed loop).
    ConnectionKind {
        Signpost => ("signpost", "Signposted (information given)"),
        Referral => ("referral", "Referred"),
    }
);

code_enum!(
    /// Where a referral to a community service has got to (Gravity Task statuses).
    ConnectionStatus {
        Requested => ("requested", "Waiting for the organisation"),
        Accepted => ("accepted", "Accepted"),
        Rejected => ("rejected", "Rejected"),
        InProgress => ("in-progress", "In progress"),
        OnHold => ("on-hold", "On hold"),
        Completed => ("completed", "Completed (attended)"),
        Failed => ("failed", "Failed"),
        Cancelled => ("cancelled", "Cancelled"),
    }
);

code_enum!(
    /// Why a referral was rejected, failed or was cancelled.
    ConnectionReason {
        NoCapacity => ("no_capacity", "No capacity"),
        NotEligible => ("not_eligible", "Not eligible"),
        CouldNotContact => ("could_not_contact", "Could not contact the person"),
        NoLongerInterested => ("no_longer_interested", "No longer interested"),
        ReferredElsewhere => ("referred_elsewhere", "Referred elsewhere"),
        Other => ("other", "Other"),
    }
);

/// Who is making a status change: the community organisation or the link worker team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Partner,
    LinkWorker,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionError(pub String);

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnectionError {}

impl ConnectionStatus {
    /// The status as the organisation receiving the referral reads it.
    pub fn partner_label(self) -> &'static str {
        match self {
            Self::Requested => "New: please accept or reject",
            Self::Accepted => "Accepted by you",
            Self::Rejected => "Rejected by you",
            Self::InProgress => "Taking part",
            Self::OnHold => "On hold",
            Self::Completed => "Finished: they took part",
            Self::Failed => "Ended: it did not work out",
            Self::Cancelled => "Cancelled by the link worker",
        }
    }

    /// The same status as an action the organisation chooses.
    pub fn partner_action(self) -> &'static str {
        match self {
            Self::Requested => "Back to new",
            Self::Accepted => "Accept: we can take them",
            Self::Rejected => "Reject: we cannot take them",
            Self::InProgress => "They have started taking part",
            Self::OnHold => "Put on hold",
            Self::Completed => "Finished: they took part",
            Self::Failed => "Ended: it did not work out",
            Self::Cancelled => "Cancel",
        }
    }

    /// Finished: no further change.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Completed | Self::Failed | Self::Cancelled
        )
    }

    /// The statuses each side may move a referral to from here.
    pub fn next(self, side: Side) -> &'static [ConnectionStatus] {
        use ConnectionStatus::*;
        match (side, self) {
            (Side::Partner, Requested) => &[Accepted, Rejected],
            (Side::Partner, Accepted) => &[InProgress, Completed, Failed, OnHold],
            (Side::Partner, InProgress) => &[Completed, Failed, OnHold],
            (Side::Partner, OnHold) => &[InProgress, Completed, Failed],
            (Side::LinkWorker, s) if !s.is_closed() => &[Cancelled],
            _ => &[],
        }
    }

    /// Checks a status change; rejections, failures and cancellations need a reason.
    pub fn transition(
        self,
        to: ConnectionStatus,
        side: Side,
        reason: Option<ConnectionReason>,
    ) -> Result<ConnectionStatus, ConnectionError> {
        let allowed = self.next(side);
        if !allowed.contains(&to) {
            let who = match side {
                Side::Partner => "The organisation",
                Side::LinkWorker => "The link worker",
            };
            return Err(ConnectionError(if allowed.is_empty() {
                format!("{who} cannot change a referral that is '{}'", self.label())
            } else {
                format!(
                    "{who} cannot move a referral from '{}' to '{}'; it can go to: {}",
                    self.label(),
                    to.label(),
                    allowed
                        .iter()
                        .map(|s| s.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }));
        }
        if matches!(to, Self::Rejected | Self::Failed | Self::Cancelled) && reason.is_none() {
            return Err(ConnectionError(format!(
                "Give a reason for '{}'",
                to.label()
            )));
        }
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionStatus::*;

    #[test]
    fn partners_answer_and_report_attendance() {
        let s = Requested.transition(Accepted, Side::Partner, None).unwrap();
        let s = s.transition(InProgress, Side::Partner, None).unwrap();
        assert_eq!(s.transition(Completed, Side::Partner, None), Ok(Completed));
    }

    #[test]
    fn illegal_moves_are_refused_with_the_legal_ones() {
        let e = Requested
            .transition(Completed, Side::Partner, None)
            .unwrap_err();
        assert!(e.0.contains("Accepted, Rejected"), "{e}");
        let e = Completed
            .transition(InProgress, Side::Partner, None)
            .unwrap_err();
        assert!(e.0.contains("cannot change"), "{e}");
        assert!(
            Requested
                .transition(Accepted, Side::LinkWorker, None)
                .is_err(),
            "only the organisation accepts"
        );
        assert!(Completed
            .transition(Cancelled, Side::LinkWorker, Some(ConnectionReason::Other))
            .is_err());
    }

    #[test]
    fn rejection_needs_a_reason() {
        let e = Requested
            .transition(Rejected, Side::Partner, None)
            .unwrap_err();
        assert!(e.0.contains("reason"));
        assert_eq!(
            Requested.transition(Rejected, Side::Partner, Some(ConnectionReason::NoCapacity)),
            Ok(Rejected)
        );
        assert_eq!(ConnectionStatus::from_code("in-progress"), Some(InProgress));
    }
}
