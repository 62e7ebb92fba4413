//! The directory importers (an ORUK 3.0 JSON feed and a spreadsheet) on any bytes: never
//! panic; problems are reported, not thrown.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = directory::parse_json(data) {
        for p in &parsed.problems {
            let _ = p.to_string();
        }
    }
    let _ = directory::csv_import::parse_csv(data);
});
