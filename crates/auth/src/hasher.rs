use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use tokio::sync::{OnceCell, Semaphore};
use vodokanal_app::ports::{HashError, PasswordHasher, Verification};
use vodokanal_domain::{LoginPassword, Password, PasswordHash};

/// argon2id with the OWASP parameters (m=19456 KiB, t=2, p=1), run on tokio's blocking pool.
/// At most `max_concurrent` hashes run at once (each takes 19 MiB and a core for tens of
/// milliseconds), so a burst of logins waits its turn instead of starving other requests.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: Arc<OnceCell<String>>,
}

impl Argon2Hasher {
    /// The OWASP parameters; `max_concurrent` at least 1.
    pub fn new(max_concurrent: usize) -> Self {
        Self::with_params(Params::default(), max_concurrent)
    }

    /// Other parameters, for tests that need cheap hashes.
    pub fn with_params(params: Params, max_concurrent: usize) -> Self {
        Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: Arc::new(OnceCell::new()),
        }
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Runs `work` on the blocking pool under a permit.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError::Failed(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError::Failed(e.to_string()))?
    }

    async fn hash_secret(&self, secret: String) -> Result<String, HashError> {
        let params = self.params.clone();
        self.run(move || {
            let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
            Self::argon2(params)
                .hash_password(secret.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| HashError::Failed(e.to_string()))
        })
        .await
    }

    async fn dummy_hash(&self) -> Result<&String, HashError> {
        self.dummy
            .get_or_try_init(|| self.hash_secret("dummy password for unknown logins".into()))
            .await
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        self.hash_secret(password.expose().to_owned())
            .await
            .map(PasswordHash::from_phc)
    }

    async fn verify(
        &self,
        password: &LoginPassword,
        hash: &PasswordHash,
    ) -> Result<Verification, HashError> {
        let params = self.params.clone();
        let secret = password.expose().to_owned();
        let phc = hash.as_phc().to_owned();
        self.run(move || {
            let parsed = argon2::password_hash::PasswordHash::new(&phc)
                .map_err(|e| HashError::Failed(format!("stored hash unreadable: {e}")))?;
            match Argon2::default().verify_password(secret.as_bytes(), &parsed) {
                Ok(()) => {
                    let current = parsed.algorithm == Algorithm::Argon2id.ident()
                        && Params::try_from(&parsed).is_ok_and(|stored| {
                            stored.m_cost() == params.m_cost()
                                && stored.t_cost() == params.t_cost()
                                && stored.p_cost() == params.p_cost()
                        });
                    Ok(Verification::Valid {
                        needs_rehash: !current,
                    })
                }
                Err(argon2::password_hash::Error::Password) => Ok(Verification::Invalid),
                Err(e) => Err(HashError::Failed(e.to_string())),
            }
        })
        .await
    }

    async fn verify_dummy(&self, password: &LoginPassword) -> Result<(), HashError> {
        let dummy = PasswordHash::from_phc(self.dummy_hash().await?.clone());
        self.verify(password, &dummy).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn password(s: &str) -> Password {
        Password::try_from(s.to_owned()).unwrap()
    }

    fn login(s: &str) -> LoginPassword {
        LoginPassword::try_from(s.to_owned()).unwrap()
    }

    /// Cheap parameters for the property test; the OWASP ones are tested separately.
    fn cheap() -> Argon2Hasher {
        Argon2Hasher::with_params(Params::new(256, 1, 1, None).unwrap(), 2)
    }

    #[tokio::test]
    async fn hashes_with_the_owasp_parameters() {
        let hasher = Argon2Hasher::new(2);
        let hash = hasher.hash(&password("Вода в Уводи 2026")).await.unwrap();
        assert!(
            hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_phc()
        );
        let right = hasher
            .verify(&login("Вода в Уводи 2026"), &hash)
            .await
            .unwrap();
        assert_eq!(
            right,
            Verification::Valid {
                needs_rehash: false
            }
        );
        let wrong = hasher
            .verify(&login("Вода в Уводи 2027"), &hash)
            .await
            .unwrap();
        assert_eq!(wrong, Verification::Invalid);
    }

    #[tokio::test]
    async fn salts_differ_between_hashes() {
        let hasher = cheap();
        let first = hasher.hash(&password("одинаковый пароль")).await.unwrap();
        let second = hasher.hash(&password("одинаковый пароль")).await.unwrap();
        assert_ne!(first.as_phc(), second.as_phc());
    }

    #[tokio::test]
    async fn old_parameters_ask_for_a_rehash() {
        let old = cheap().hash(&password("старый пароль 1")).await.unwrap();
        let verdict = Argon2Hasher::new(1)
            .verify(&login("старый пароль 1"), &old)
            .await
            .unwrap();
        assert_eq!(verdict, Verification::Valid { needs_rehash: true });
    }

    #[tokio::test]
    async fn an_unreadable_hash_is_an_error_not_a_match() {
        let broken = PasswordHash::from_phc("not a phc string".into());
        let outcome = cheap().verify(&login("whatever1"), &broken).await;
        assert!(matches!(outcome, Err(HashError::Failed(_))));
    }

    #[tokio::test]
    async fn the_dummy_verification_completes() {
        let hasher = cheap();
        assert_eq!(
            hasher.verify_dummy(&login("unknown-user-pass")).await,
            Ok(())
        );
        assert_eq!(hasher.verify_dummy(&login("again")).await, Ok(()));
        assert!(
            hasher
                .dummy
                .get()
                .is_some_and(|h| h.starts_with("$argon2id$"))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn hash_and_verify_round_trip(s in "\\PC{8,64}") {
            let Ok(pw) = Password::try_from(s.clone()) else { return Ok(()) };
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let hasher = cheap();
            let verdict = runtime.block_on(async {
                let hash = hasher.hash(&pw).await.unwrap();
                hasher.verify(&LoginPassword::from(pw), &hash).await.unwrap()
            });
            prop_assert_eq!(verdict, Verification::Valid { needs_rehash: false });
        }
    }
}
