//! System-to-system access: the kinds of API client (a GP clinical system, a referral hub,
//! a VCSE partner's system), the scopes a client may hold, and how a referrer's email
//! address is found in what they gave.

use crate::Code;

code_enum!(
    /// What a client is, which decides what it is bound to and which scopes it may hold.
    ClientKind {
        GpSystem => ("gp_system", "GP clinical system (one practice)"),
        Hub => ("hub", "Referral hub or other PCN system"),
        Partner => ("partner", "VCSE partner's system"),
    }
);

code_enum!(
    /// What a client's token allows.
    Scope {
        ReferralWrite => ("referral.write", "Send referrals to social prescribing"),
        RecordRead => ("record.read", "Read people's social prescribing records"),
        TaskRead => ("task.read", "Read referrals to community services (Tasks)"),
        TaskUpdate => ("task.update", "Answer referrals to community services (Task status)"),
        CodingRead => ("coding.read", "Pull GP-record codes for the practice"),
        CodingAck => ("coding.ack", "Confirm GP-record codes were recorded"),
        DirectoryRead => ("directory.read", "Read the community directory"),
    }
);

impl ClientKind {
    /// The scopes a client of this kind may be given.
    pub fn allowed_scopes(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            ClientKind::GpSystem => &[
                ReferralWrite,
                RecordRead,
                TaskRead,
                CodingRead,
                CodingAck,
                DirectoryRead,
            ],
            ClientKind::Hub => &[ReferralWrite, RecordRead, TaskRead, DirectoryRead],
            ClientKind::Partner => &[TaskRead, TaskUpdate, DirectoryRead],
        }
    }
}

/// Parses a space-separated scope list (OAuth2 style). Unknown scopes are an error naming
/// them; duplicates are dropped.
pub fn parse_scopes(s: &str) -> Result<Vec<Scope>, String> {
    let mut out = Vec::new();
    for word in s.split_whitespace() {
        match Scope::from_code(word) {
            Some(sc) if !out.contains(&sc) => out.push(sc),
            Some(_) => {}
            None => return Err(format!("Unknown scope '{word}'")),
        }
    }
    Ok(out)
}

/// A scope list as stored and sent: space-separated codes.
pub fn scopes_string(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first email address in what a referrer gave as contact details ("01632 960123,
/// a.jones@nhs.net"), if any.
pub fn email_in(contact: &str) -> Option<String> {
    contact
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ':' | '"' | '\'')))
        .find(|w| {
            let Some((local, domain)) = w.split_once('@') else {
                return false;
            };
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && w.chars().all(|c| c.is_ascii_graphic())
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_refuse_unknown_words() {
        assert_eq!(
            parse_scopes("task.read  task.update task.read").unwrap(),
            vec![Scope::TaskRead, Scope::TaskUpdate]
        );
        assert_eq!(
            parse_scopes("task.read admin").unwrap_err(),
            "Unknown scope 'admin'"
        );
        assert!(!ClientKind::Partner
            .allowed_scopes()
            .contains(&Scope::ReferralWrite));
        assert!(ClientKind::GpSystem
            .allowed_scopes()
            .contains(&Scope::CodingAck));
    }

    #[test]
    fn finds_an_email_address_among_contact_details() {
        assert_eq!(
            email_in("01632 960123, a.jones@nhs.net.").as_deref(),
            Some("a.jones@nhs.net")
        );
        assert_eq!(
            email_in("Dr Jones <jones@example.org>").as_deref(),
            Some("jones@example.org")
        );
        assert_eq!(email_in("01632 960123"), None);
        assert_eq!(email_in("@nhs.net or x@y"), None);
    }
}
