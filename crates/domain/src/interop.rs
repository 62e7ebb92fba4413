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

/// What each of Linkwork's scopes reaches in SMART terms: (FHIR resource type, SMART v2
/// access letters). `r`/`s` read and search, `c` create, `u` update. A SMART `system/…`
/// scope asks for a Linkwork scope when it names one of these pairs.
pub fn smart_reach(scope: Scope) -> &'static [(&'static str, &'static str)] {
    use Scope::*;
    match scope {
        RecordRead => &[
            ("Patient", "rs"),
            ("ServiceRequest", "rs"),
            ("CarePlan", "rs"),
            ("Goal", "rs"),
            ("Observation", "rs"),
            ("Encounter", "rs"),
            ("Composition", "rs"),
        ],
        // A partner reads its Tasks and the ServiceRequests they fulfil.
        TaskRead => &[("Task", "rs"), ("ServiceRequest", "rs")],
        TaskUpdate => &[("Task", "u")],
        ReferralWrite => &[("ServiceRequest", "c")],
        // The GP-record codes come as a Bundle (`$coding-batch`), acknowledged on it.
        CodingRead => &[("Bundle", "rs")],
        CodingAck => &[("Bundle", "u")],
        DirectoryRead => &[
            ("HealthcareService", "rs"),
            ("Organization", "rs"),
            ("Location", "rs"),
        ],
    }
}

/// Scope words a SMART client may send that ask for nothing here (launch context, identity,
/// refresh tokens): a backend client gets none of them, and is not refused for asking.
const SMART_IGNORED: &[&str] = &[
    "openid",
    "fhirUser",
    "profile",
    "offline_access",
    "online_access",
    "launch",
];

/// A requested scope list with SMART Backend Services scopes (`system/Patient.read`,
/// `system/*.read`, v2 `system/Task.rs`, `system/*.cruds`) and Linkwork's own codes, mapped
/// onto the Linkwork scopes the client `holds`. Returns what is granted and, when the client
/// asked in SMART terms, the granted SMART scopes to answer with (each granted Linkwork
/// scope's full reach, in the style it asked in). Scopes no granted one covers are left out,
/// as OAuth2 allows; `patient/` and `user/` scopes are refused (no one launches here).
pub fn grant_scopes(asked: &str, holds: &[Scope]) -> Result<(Vec<Scope>, Option<String>), String> {
    let mut granted: Vec<Scope> = Vec::new();
    let mut smart = false;
    let mut v2 = false;
    let grant = |s: Scope, granted: &mut Vec<Scope>| {
        if holds.contains(&s) && !granted.contains(&s) {
            granted.push(s);
        }
    };
    for word in asked.split_whitespace() {
        if SMART_IGNORED.contains(&word) || word.starts_with("launch/") {
            continue;
        }
        if let Some(s) = Scope::from_code(word) {
            if !holds.contains(&s) {
                return Err(format!("This client may not have '{word}'"));
            }
            grant(s, &mut granted);
            continue;
        }
        let Some(rest) = word.strip_prefix("system/") else {
            return Err(
                if word.starts_with("patient/") || word.starts_with("user/") {
                    format!("'{word}': only system/ scopes are offered (SMART Backend Services)")
                } else {
                    format!("Unknown scope '{word}'")
                },
            );
        };
        smart = true;
        let Some((resource, access)) = rest.split_once('.') else {
            return Err(format!("Unknown scope '{word}'"));
        };
        // Letters asked for: v1 read / write / *, or v2's c r u d s (in that order).
        let letters: String = match access {
            "read" => "rs".into(),
            "write" => "cud".into(),
            "*" => "cruds".into(),
            v if !v.is_empty()
                && v.chars().all(|c| "cruds".contains(c))
                && v.chars()
                    .zip(v.chars().skip(1))
                    .all(|(a, b)| "cruds".find(a) < "cruds".find(b)) =>
            {
                v2 = true;
                v.into()
            }
            _ => return Err(format!("Unknown scope '{word}'")),
        };
        let valid_type = resource == "*"
            || (resource
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
                && resource.chars().all(|c| c.is_ascii_alphanumeric()));
        if !valid_type {
            return Err(format!("Unknown scope '{word}'"));
        }
        for s in Scope::ALL {
            let reached = smart_reach(*s).iter().any(|(res, acc)| {
                (resource == "*" || resource == *res) && acc.chars().any(|c| letters.contains(c))
            });
            if reached {
                grant(*s, &mut granted);
            }
        }
    }
    let answer = smart.then(|| {
        let mut out: Vec<String> = Vec::new();
        for s in &granted {
            for (res, acc) in smart_reach(*s) {
                let word = if v2 {
                    format!("system/{res}.{acc}")
                } else if *acc == "rs" {
                    format!("system/{res}.read")
                } else {
                    format!("system/{res}.write")
                };
                if !out.contains(&word) {
                    out.push(word);
                }
            }
        }
        out.join(" ")
    });
    Ok((granted, answer))
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
    fn smart_system_scopes_map_onto_held_scopes() {
        use Scope::*;
        let gp = ClientKind::GpSystem.allowed_scopes();
        // Everything readable, and nothing this client does not hold.
        let (g, answer) = grant_scopes("system/*.read", &[RecordRead, DirectoryRead]).unwrap();
        assert_eq!(g, vec![RecordRead, DirectoryRead]);
        let answer = answer.unwrap();
        assert!(answer.contains("system/Patient.read"));
        assert!(answer.contains("system/Location.read"));
        assert!(!answer.contains("Task"));
        // One resource type asks for the scope that reaches it; v2 letters answer in v2.
        let (g, answer) = grant_scopes("system/ServiceRequest.c", gp).unwrap();
        assert_eq!(g, vec![ReferralWrite]);
        assert_eq!(answer.as_deref(), Some("system/ServiceRequest.c"));
        let (g, _) = grant_scopes("system/Task.u system/Task.rs", &[TaskRead, TaskUpdate]).unwrap();
        assert_eq!(g, vec![TaskUpdate, TaskRead]);
        // Writing asks for no reading.
        let (g, _) = grant_scopes("system/*.write", gp).unwrap();
        assert_eq!(g, vec![ReferralWrite, CodingAck]);
        // Launch and identity scopes are ignored; Linkwork codes still work, and say so plainly.
        let (g, answer) = grant_scopes("launch/patient openid task.read", &[TaskRead]).unwrap();
        assert_eq!((g, answer), (vec![TaskRead], None));
        // Refused: a user or patient scope, a made-up access, a held-scope overreach.
        assert!(grant_scopes("patient/*.read", gp).is_err());
        assert!(grant_scopes("system/Task.write.now", gp).is_err());
        assert!(grant_scopes("system/Task.sr", gp).is_err());
        assert!(grant_scopes("system/task.read", gp).is_err());
        assert!(grant_scopes("task.update", gp).is_err());
        // A type not served grants nothing (the caller refuses an empty grant).
        assert_eq!(
            grant_scopes("system/Appointment.read", gp).unwrap().0,
            vec![]
        );
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
