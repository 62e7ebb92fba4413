//! The NHS number parser: never panics; what it accepts is ten digits with a valid check
//! digit, and reads back as itself.
#![no_main]

use domain::NhsNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(n) = NhsNumber::parse(input) {
        let s = n.as_str();
        assert_eq!(s.len(), 10, "{input:?} gave {s:?}");
        assert!(
            s.bytes().all(|b| b.is_ascii_digit()),
            "{input:?} gave {s:?}"
        );
        assert_eq!(
            NhsNumber::parse(s).ok().as_ref().map(NhsNumber::as_str),
            Some(s)
        );
    }
});
