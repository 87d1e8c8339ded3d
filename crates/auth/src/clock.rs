use chrono::{DateTime, Utc};
use vodokanal_app::ports::Clock;

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_current_time() {
        let before = Utc::now();
        let told = SystemClock.now();
        assert!(told >= before && told <= Utc::now());
    }
}
