//! The postcode parser: never panics; a postcode it accepts is already in its normal form
//! (parsing it again changes nothing) and its outward code begins it.
#![no_main]

use domain::Postcode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(p) = Postcode::parse(input) {
        let s = p.as_str();
        assert!(s.len() <= 8, "{input:?} gave {s:?}");
        assert!(s.starts_with(p.outward()), "{input:?} gave {s:?}");
        let again = Postcode::parse(s).expect("a normal postcode parses");
        assert_eq!(again.as_str(), s);
    }
});
