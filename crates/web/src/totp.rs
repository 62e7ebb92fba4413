//! A second factor for password accounts: time-based one-time codes (TOTP, RFC 6238) from an
//! authenticator app, HMAC-SHA-1 over 30-second steps, 6 digits, as every app reads an
//! `otpauth://` address. The secret travels as base32 (RFC 4648) and is drawn as a QR code
//! in SVG by the server (no image crates, no script). Recovery codes are ten random
//! single-use codes kept only as SHA-256 hashes.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step and digits per code, as the apps assume.
const STEP: i64 = 30;
const DIGITS: u32 = 6;
/// Steps either side of now a code may come from (a phone's clock a little off).
const SKEW: i64 = 1;

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 without padding (RFC 4648), as authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for b in bytes {
        buf = (buf << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The bytes of a base32 secret (any case, spaces ignored); none when it is not base32.
pub fn unbase32(s: &str) -> Option<Vec<u8>> {
    let mut out = vec![];
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = B32
            .iter()
            .position(|b| *b as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buf >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// A new secret: 20 random bytes (160 bits, as RFC 4226 recommends), in base32.
pub fn new_secret() -> Result<String, String> {
    let mut b = [0u8; 20];
    getrandom::fill(&mut b).map_err(|e| e.to_string())?;
    Ok(base32(&b))
}

/// The code for a time step (RFC 4226 HOTP with the step as the counter).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step a Unix time falls in.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP)
}

/// The time step a typed code belongs to, within a step of now: none when it matches none.
/// (Whether that step was already used is the caller's to check, in the database.)
pub fn matching_step(secret_b32: &str, code: &str, unix_now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secret = unbase32(secret_b32)?;
    let now = step_of(unix_now);
    (now - SKEW..=now + SKEW)
        .find(|s| crate::auth::constant_time_eq(code_at(&secret, *s).as_bytes(), code.as_bytes()))
}

/// The address an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| -> String {
        form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// A QR code of `text` as an SVG element (dark squares on white, a quiet zone of 4).
pub fn qr_svg(text: &str, label: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 8;
    let mut path = String::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (i % width + 4, i / width + 4);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let label: String = label
        .chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect();
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"232\" height=\"232\" role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// Ten recovery codes (`xxxx-xxxx-xx`, letters and digits that read clearly) and their
/// hashes.
pub fn recovery_codes() -> Result<Vec<(String, String)>, String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..10)
        .map(|_| {
            let mut b = [0u8; 10];
            getrandom::fill(&mut b).map_err(|e| e.to_string())?;
            let s: String = b
                .iter()
                .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
                .collect();
            let code = format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..]);
            Ok((code.clone(), recovery_hash(&code)))
        })
        .collect()
}

/// A recovery code as typed (any case, with or without dashes) in the form that is hashed.
pub fn recovery_hash(code: &str) -> String {
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    crate::auth::sha256_hex(&format!("recovery:{clean}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(unbase32("mzxw6ytboi").unwrap(), b"foobar");
        assert_eq!(unbase32("MZXW 6YTB OI").unwrap(), b"foobar");
        assert!(unbase32("not base32!").is_none());
        let s = new_secret().unwrap();
        assert_eq!(s.len(), 32);
        assert_eq!(unbase32(&s).unwrap().len(), 20);
    }

    /// RFC 6238 appendix B, SHA-1, with the last 6 of its 8 digits.
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, step_of(t)), &eight[2..], "at {t}");
        }
    }

    #[test]
    fn a_code_is_taken_within_a_step_of_now_only() {
        let secret = base32(b"12345678901234567890");
        let t = 1_111_111_111;
        let now_code = code_at(b"12345678901234567890", step_of(t));
        assert_eq!(matching_step(&secret, &now_code, t), Some(step_of(t)));
        assert_eq!(matching_step(&secret, &now_code, t + 30), Some(step_of(t)));
        assert_eq!(matching_step(&secret, &now_code, t + 90), None);
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "abcdef", t), None);
    }

    #[test]
    fn the_qr_code_is_svg_with_its_label_escaped() {
        let uri = otpauth_uri("Linkwork", "sam@example.org", "JBSWY3DPEHPK3PXP");
        assert!(uri.starts_with(
            "otpauth://totp/Linkwork:sam%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=Linkwork"
        ));
        let svg = qr_svg(&uri, "QR code <for> your app").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<path d=\"M"));
        assert!(svg.contains("QR code &lt;for&gt; your app"));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_forgiving_to_type() {
        let codes = recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let mut seen: Vec<&String> = codes.iter().map(|(c, _)| c).collect();
        seen.dedup();
        assert_eq!(seen.len(), 10);
        let (code, hash) = &codes[0];
        assert_eq!(&recovery_hash(&code.to_uppercase().replace('-', "")), hash);
    }
}
