//! UK postcodes: checked against the formats Royal Mail uses and normalised
//! to upper case with one space before the inward code ("LS1 4AP").

use std::fmt;

/// A well-formed UK postcode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Postcode(String);

/// The message shown for a malformed postcode.
pub const POSTCODE_HELP: &str = "Enter a full UK postcode, like LS1 4AP";

impl Postcode {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact == "GIR0AA" {
            return Ok(Self("GIR 0AA".into()));
        }
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(POSTCODE_HELP);
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let ib = inward.as_bytes();
        let inward_ok =
            ib[0].is_ascii_digit() && ib[1].is_ascii_alphabetic() && ib[2].is_ascii_alphabetic();
        // Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A.
        let shape: String = outward
            .bytes()
            .map(|b| {
                if b.is_ascii_digit() {
                    '9'
                } else if b.is_ascii_alphabetic() {
                    'A'
                } else {
                    '?'
                }
            })
            .collect();
        let outward_ok = matches!(
            shape.as_str(),
            "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
        );
        if inward_ok && outward_ok {
            Ok(Self(format!("{outward} {inward}")))
        } else {
            Err(POSTCODE_HELP)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code ("LS1"), used to find people in an area.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_valid_postcodes() {
        for (input, want) in [
            ("ls1 4ap", "LS1 4AP"),
            ("SW1A1AA", "SW1A 1AA"),
            ("m1 1ae", "M1 1AE"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("W1A 0AX", "W1A 0AX"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("  gir 0aa ", "GIR 0AA"),
        ] {
            assert_eq!(Postcode::parse(input).unwrap().as_str(), want, "{input}");
        }
    }

    #[test]
    fn rejects_malformed_postcodes() {
        for bad in [
            "",
            "LS1",
            "LS1 4A",
            "1LS 4AP",
            "LS1 AAP",
            "LS1 4AP1",
            "L$1 4AP",
            "ABCDE 1AA",
            "ŁS1 4AP",
        ] {
            assert!(Postcode::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn outward_code() {
        assert_eq!(Postcode::parse("sw1a1aa").unwrap().outward(), "SW1A");
    }
}
