use chrono::{DateTime, SubsecRound, Utc};
use vodokanal_app::ports::Clock;

/// The system's wall clock, to the microsecond: the precision both stores keep, so that an
/// instant in a 201 answer (`submitted_at`, `created_at`) is the one later reads give back.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_current_time() {
        let before = Utc::now().trunc_subsecs(6);
        let told = SystemClock.now();
        assert!(told >= before && told <= Utc::now());
    }

    #[test]
    fn tells_it_to_the_microsecond() {
        for _ in 0..100 {
            assert_eq!(SystemClock.now().timestamp_subsec_nanos() % 1000, 0);
        }
    }
}
