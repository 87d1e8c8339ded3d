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

/// The tests' clock (`VODOKANAL_TEST_CLOCK`, debug builds only): the file holds an RFC 3339
/// instant, and "now" is that instant plus the time since the file was written. A test moves
/// the server's time by writing the file again; the server reads it at every call. A file that
/// can't be read or parsed leaves the system's time.
#[derive(Debug, Clone)]
pub struct ShiftedClock {
    path: std::path::PathBuf,
}

impl ShiftedClock {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self { path: path.into() }
    }

    fn read(&self) -> Option<DateTime<Utc>> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let written: DateTime<Utc> = std::fs::metadata(&self.path).ok()?.modified().ok()?.into();
        let told = DateTime::parse_from_rfc3339(text.trim()).ok()?;
        let since = Utc::now() - written;
        Some(told.with_timezone(&Utc) + since.max(chrono::TimeDelta::zero()))
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        self.read().unwrap_or_else(Utc::now).trunc_subsecs(6)
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
    fn the_tests_clock_runs_on_from_the_instant_its_file_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("now");
        let clock = ShiftedClock::new(&path);
        let before = Utc::now().trunc_subsecs(6);
        assert!(clock.now() >= before, "no file: the system's time");
        std::fs::write(&path, "2027-01-01T06:00:00Z").unwrap();
        let told = clock.now();
        let start: DateTime<Utc> = "2027-01-01T06:00:00Z".parse().unwrap();
        assert!(
            told >= start && told < start + chrono::TimeDelta::minutes(1),
            "{told}"
        );
        std::fs::write(&path, "not a time").unwrap();
        assert!(clock.now() < start);
    }

    #[test]
    fn tells_it_to_the_microsecond() {
        for _ in 0..100 {
            assert_eq!(SystemClock.now().timestamp_subsec_nanos() % 1000, 0);
        }
    }
}
