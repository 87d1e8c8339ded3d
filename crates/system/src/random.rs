use rand::{Rng, RngCore};
use vodokanal_app::ports::Random;
use vodokanal_domain::OneTimeCode;

/// Randomness from rand's thread-local CSPRNG (`ChaCha`, seeded and reseeded from the OS).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn one_time_code(&self) -> OneTimeCode {
        OneTimeCode::from_number(rand::rng().random_range(0..1_000_000))
    }

    fn token_bytes(&self) -> [u8; 32] {
        let mut bytes = [0; 32];
        rand::rng().fill_bytes(&mut bytes);
        bytes
    }

    fn id_bytes(&self) -> [u8; 16] {
        let mut bytes = [0; 16];
        rand::rng().fill_bytes(&mut bytes);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: HashSet<String> = (0..200)
            .map(|_| OsRandom.one_time_code().expose().to_owned())
            .collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(
            codes.len() > 190,
            "only {} distinct codes of 200",
            codes.len()
        );
    }

    #[test]
    fn tokens_and_ids_do_not_repeat() {
        assert_ne!(OsRandom.token_bytes(), OsRandom.token_bytes());
        assert_ne!(OsRandom.id_bytes(), OsRandom.id_bytes());
        assert_ne!(OsRandom.token_bytes(), [0; 32]);
    }
}
