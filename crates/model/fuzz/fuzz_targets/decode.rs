//! Arbitrary bytes as a ListDrRelations body, a ListDrInfos body and both
//! capture envelopes:
//! decoding never panics, and whatever decodes re-encodes to something that
//! decodes to the same value (malformed records keep their raw value).
//!
//! From `crates/model/fuzz` (new inputs go to the first directory, the
//! checked-in seeds are only read):
//!
//! ```text
//! mkdir -p corpus/decode
//! cargo +nightly fuzz run decode corpus/decode seeds/decode -- -max_total_time=60
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;
use rds_dr_model::{Capture, InfosCapture, ListDrInfosResponse, ListDrRelationsResponse};
use serde::{Serialize, de::DeserializeOwned};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let bytes = serde_json::to_vec(&value).expect("a decoded value encodes");
        let again: T = serde_json::from_slice(&bytes).expect("a re-encoded value decodes");
        assert_eq!(again, value);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<ListDrRelationsResponse>(data);
    round_trip::<Capture>(data);
    round_trip::<ListDrInfosResponse>(data);
    round_trip::<InfosCapture>(data);
});
