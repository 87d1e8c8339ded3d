//! Readings and mocks shared by the tests of the reading and account use cases.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use vodokanal_domain::{MeterNumber, Reading, ReadingId, ReadingSource, UtilityCalendar};

use crate::ports::MockRandom;
use crate::testing::{account_number, user_id};

/// A cabinet reading of the fixture account's `meter`, given at `submitted_at`.
pub fn reading(meter: MeterNumber, value: &str, submitted_at: DateTime<Utc>) -> Reading {
    Reading {
        id: ReadingId::from_random_bytes([3; 16]),
        account_number: account_number(),
        meter_number: meter,
        value: value.parse().unwrap(),
        previous_value: None,
        consumption: None,
        period: UtilityCalendar::default().period(submitted_at),
        submitted_at,
        source: ReadingSource::Cabinet,
        warnings: vec![],
        user_id: Some(user_id()),
        submitter: None,
        voided: None,
    }
}

/// Randomness giving ids `[1; 16]`, `[2; 16]`, ... in turn.
pub fn counting_random() -> Arc<MockRandom> {
    let mut random = MockRandom::new();
    let mut next = 0u8;
    random.expect_id_bytes().returning(move || {
        next += 1;
        [next; 16]
    });
    Arc::new(random)
}
