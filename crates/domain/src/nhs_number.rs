//! The NHS number: ten digits, the last a modulus 11 check digit.

use std::fmt;

/// A valid NHS number (check digit verified).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NhsNumber(String);

/// Why a string is not an NHS number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NhsNumberError {
    NotTenDigits,
    BadCheckDigit,
}

impl fmt::Display for NhsNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotTenDigits => {
                f.write_str("Enter an NHS number with 10 digits, like 943 476 5919")
            }
            Self::BadCheckDigit => f.write_str(
                "This is not a valid NHS number: check the digits against the person's record",
            ),
        }
    }
}

impl NhsNumber {
    /// Parses an NHS number, allowing spaces and hyphens between digits.
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NhsNumberError::NotTenDigits);
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = d[..9]
            .iter()
            .enumerate()
            .map(|(i, v)| v * (10 - i as u32))
            .sum();
        let check = match 11 - (sum % 11) {
            11 => 0,
            10 => return Err(NhsNumberError::BadCheckDigit),
            c => c,
        };
        if check != d[9] {
            return Err(NhsNumberError::BadCheckDigit);
        }
        Ok(Self(digits))
    }

    /// The ten digits with no spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Makes a valid NHS number from the first nine digits by computing the check digit,
    /// or `None` when those nine digits have no valid check digit. Used by the synthetic
    /// data generator (999 test range).
    pub fn from_first_nine(nine: u32) -> Option<Self> {
        let s = format!("{nine:09}");
        (0..10).find_map(|c| Self::parse(&format!("{s}{c}")).ok())
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_with_or_without_spaces() {
        assert_eq!(
            NhsNumber::parse("9434765919").unwrap().as_str(),
            "9434765919"
        );
        assert_eq!(
            NhsNumber::parse("654 100 3238").unwrap().as_str(),
            "6541003238"
        );
        assert_eq!(
            NhsNumber::parse("943-476-5919").unwrap().to_string(),
            "943 476 5919"
        );
    }

    #[test]
    fn rejects_wrong_check_digit() {
        assert_eq!(
            NhsNumber::parse("4123456879"),
            Err(NhsNumberError::BadCheckDigit)
        );
        assert_eq!(
            NhsNumber::parse("9434765918"),
            Err(NhsNumberError::BadCheckDigit)
        );
    }

    #[test]
    fn rejects_wrong_length_and_letters() {
        assert_eq!(
            NhsNumber::parse("943476591"),
            Err(NhsNumberError::NotTenDigits)
        );
        assert_eq!(
            NhsNumber::parse("94347659190"),
            Err(NhsNumberError::NotTenDigits)
        );
        assert_eq!(
            NhsNumber::parse("94347A5919"),
            Err(NhsNumberError::NotTenDigits)
        );
        assert_eq!(NhsNumber::parse(""), Err(NhsNumberError::NotTenDigits));
    }

    #[test]
    fn remainder_ten_is_never_valid() {
        // 000000060x: sum = 6*4 = 24, 11 - 24 % 11 = 9 … find a prefix with remainder 10.
        let nine = (0..1000u32)
            .find(|n| {
                let s = format!("{n:09}");
                let sum: u32 = s
                    .bytes()
                    .enumerate()
                    .map(|(i, b)| u32::from(b - b'0') * (10 - i as u32))
                    .sum();
                11 - sum % 11 == 10
            })
            .unwrap();
        assert!(NhsNumber::from_first_nine(nine).is_none());
    }

    #[test]
    fn generator_makes_valid_test_range_numbers() {
        let n = NhsNumber::from_first_nine(999_000_001).unwrap();
        assert!(n.as_str().starts_with("999"));
        assert!(NhsNumber::parse(n.as_str()).is_ok());
    }
}
