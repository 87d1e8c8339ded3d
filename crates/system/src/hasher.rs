use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;

use argon2::password_hash::{Output, ParamsString, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore, oneshot};
use vodokanal_app::ports::{HashError, PasswordHasher, Verification};
use vodokanal_domain::{LoginPassword, Password, PasswordHash};

/// How many hashes may run and wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HasherPool {
    /// Dedicated threads, each with its own argon2 memory (19 MiB), kept between hashes.
    pub workers: usize,
    /// Hashes that may wait for a worker; past them, [`HashError::Busy`] at once.
    pub queue: usize,
}

/// How much lower than the rest of the server the hashing threads run, on Linux (nice values:
/// when both want a core, a thread at nice 10 gets about a tenth of what one at 0 gets), so
/// that a login flood can't take the cores from the requests beside it.
pub const HASHER_NICE: i32 = 10;

impl HasherPool {
    /// One worker per core but one (at least one), and [`QUEUE_PER_WORKER`] waiting places each.
    pub fn for_this_machine() -> Self {
        Self::for_cores(thread::available_parallelism().map_or(1, std::num::NonZero::get))
    }

    /// The default on a machine of `cores`: a core is left to the requests beside the logins.
    pub fn for_cores(cores: usize) -> Self {
        let workers = cores.saturating_sub(1).max(1);
        Self {
            workers,
            queue: workers * QUEUE_PER_WORKER,
        }
    }
}

/// Hashes that may wait per worker by default: enough for the 32 logins a browser-less flood
/// keeps in flight on a 2-core machine to wait their turn (a few seconds, within the request
/// timeout) instead of being refused at once and sent again at once, which costs the requests
/// beside them more than the wait does (docs/performance.md).
pub const QUEUE_PER_WORKER: usize = 64;

/// One job, run by a worker with its memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// A fixed set of dedicated threads, each keeping its argon2 memory from one hash to the next
/// (so the memory in use stays `workers` × 19 MiB whatever the load) and running
/// [`HASHER_NICE`] below the rest of the server (on Linux), and a bounded queue: at
/// most `workers + queue` jobs are in at once, and one more is refused at once with
/// [`HashError::Busy`], so a burst of logins gets 503s instead of waiting until the request
/// timeout while other requests starve. A job whose caller has gone (a timed-out request) is
/// skipped. Clones share the threads; they end when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct HashWorkers {
    jobs: Sender<Job>,
    slots: Arc<Semaphore>,
    workers: usize,
    capacity: usize,
    refused: Arc<AtomicU64>,
}

/// How loaded the hasher is now (`/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HasherLoad {
    /// Hashes running or waiting for a thread.
    pub jobs: usize,
    /// The threads.
    pub workers: usize,
    /// Threads and waiting places: one job more is refused.
    pub capacity: usize,
    /// Hashes refused because it was full, since start.
    pub refused: u64,
}

impl HashWorkers {
    /// Starts `pool.workers` threads (at least one).
    pub fn start(pool: HasherPool) -> Self {
        let workers = pool.workers.max(1);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..workers {
            let queue = queue.clone();
            let spawned = thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || work(&queue));
            if let Err(error) = spawned {
                tracing::error!(%error, "a password hasher thread could not start");
            }
        }
        let capacity = workers + pool.queue;
        Self {
            jobs,
            slots: Arc::new(Semaphore::new(capacity)),
            workers,
            capacity,
            refused: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The jobs in now, the threads, the capacity and the refusals so far.
    pub fn load(&self) -> HasherLoad {
        HasherLoad {
            jobs: self.capacity.saturating_sub(self.slots.available_permits()),
            workers: self.workers,
            capacity: self.capacity,
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// Whether [`HashWorkers::run`] would refuse now: every worker busy and the queue full.
    pub fn is_full(&self) -> bool {
        self.slots.available_permits() == 0
    }

    /// Runs `job` on a worker with its memory, or refuses at once when the queue is full.
    ///
    /// # Errors
    ///
    /// [`HashError::Busy`] when full; [`HashError::Failed`] when the threads are gone; else
    /// what `job` returns.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vec<Block>) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let slot: OwnedSemaphorePermit = self.slots.clone().try_acquire_owned().map_err(|_| {
            self.refused.fetch_add(1, Ordering::Relaxed);
            HashError::Busy
        })?;
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _slot = slot;
            if !reply.is_closed() {
                let _ = reply.send(job(memory));
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| failed("the hasher's threads are gone"))?;
        answer.await.map_err(|_| failed("a hasher thread died"))?
    }
}

/// argon2id with the OWASP parameters (m=19456 KiB, t=2, p=1), run on [`HashWorkers`].
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    workers: HashWorkers,
    dummy: Arc<OnceCell<String>>,
}

impl Argon2Hasher {
    /// The OWASP parameters on `workers`.
    pub fn new(workers: HashWorkers) -> Self {
        Self::with_params(Params::default(), workers)
    }

    /// Other parameters, for tests that need cheap hashes.
    pub fn with_params(params: Params, workers: HashWorkers) -> Self {
        Self {
            params,
            workers,
            dummy: Arc::new(OnceCell::new()),
        }
    }

    async fn hash_secret(&self, secret: String) -> Result<String, HashError> {
        let params = self.params.clone();
        self.workers
            .run(move |memory| hash_with(&params, secret.as_bytes(), memory))
            .await
    }

    async fn dummy_hash(&self) -> Result<&String, HashError> {
        self.dummy
            .get_or_try_init(|| self.hash_secret("dummy password for unknown logins".into()))
            .await
    }
}

/// A worker: takes jobs until every sender is gone, with one memory for all of them, at
/// [`HASHER_NICE`].
fn work(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    let mut memory = Vec::new();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

/// Puts the calling thread [`HASHER_NICE`] below the thread that started it (at most 19, the
/// lowest). Linux's nice value is per thread; elsewhere `setpriority` would renice the whole
/// process, so the threads keep their priority there.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let thread = Some(rustix::thread::gettid());
        let lowered = getpriority_process(thread).and_then(|nice| {
            let lower = nice.saturating_add(HASHER_NICE).min(19);
            setpriority_process(thread, lower)
        });
        if let Err(error) = lowered {
            tracing::warn!(%error, "a password hasher thread keeps its priority");
        }
    }
}

fn failed(error: impl std::fmt::Display) -> HashError {
    HashError::Failed(error.to_string())
}

/// Grows `memory` to the blocks `params` need (it never shrinks: the next hash reuses it).
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    &mut memory[..params.block_count()]
}

/// The PHC string of `secret` under a new random salt.
fn hash_with(params: &Params, secret: &[u8], memory: &mut Vec<Block>) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let mut buffer = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut buffer).map_err(failed)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = Output::init_with(length, |out| {
        argon2
            .hash_password_into_with_memory(secret, raw_salt, out, blocks(memory, params))
            .map_err(Into::into)
    })
    .map_err(failed)?;
    let phc = argon2::PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// Checks `secret` against the PHC string `phc` (with the algorithm, version and parameters
/// it names); `needs_rehash` when they are not argon2id with `current`.
fn verify_with(
    current: &Params,
    secret: &[u8],
    phc: &str,
    memory: &mut Vec<Block>,
) -> Result<Verification, HashError> {
    let parsed = argon2::PasswordHash::new(phc)
        .map_err(|e| HashError::Failed(format!("stored hash unreadable: {e}")))?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(failed)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(failed)?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(failed)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(failed("stored hash has no salt or no hash"));
    };
    let mut buffer = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut buffer).map_err(failed)?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let computed = Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(secret, raw_salt, out, blocks(memory, &params))
            .map_err(Into::into)
    })
    .map_err(failed)?;
    // `Output`'s equality is constant-time.
    if computed != expected {
        return Ok(Verification::Invalid);
    }
    let up_to_date = algorithm == Algorithm::Argon2id
        && version == Version::V0x13
        && params.m_cost() == current.m_cost()
        && params.t_cost() == current.t_cost()
        && params.p_cost() == current.p_cost();
    Ok(Verification::Valid {
        needs_rehash: !up_to_date,
    })
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
        self.workers
            .run(move |memory| verify_with(&params, secret.as_bytes(), &phc, memory))
            .await
    }

    async fn verify_dummy(&self, password: &LoginPassword) -> Result<(), HashError> {
        let dummy = PasswordHash::from_phc(self.dummy_hash().await?.clone());
        self.verify(password, &dummy).await.map(|_| ())
    }

    fn is_full(&self) -> bool {
        self.workers.is_full()
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

    fn pool(workers: usize, queue: usize) -> HashWorkers {
        HashWorkers::start(HasherPool { workers, queue })
    }

    /// Cheap parameters for the property test; the OWASP ones are tested separately.
    fn cheap() -> Argon2Hasher {
        Argon2Hasher::with_params(Params::new(256, 1, 1, None).unwrap(), pool(2, 4))
    }

    #[tokio::test]
    async fn hashes_with_the_owasp_parameters() {
        let hasher = Argon2Hasher::new(pool(2, 2));
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
        let verdict = Argon2Hasher::new(pool(1, 1))
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

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_the_queued_work_still_runs() {
        let workers = pool(1, 1);
        let hasher =
            Argon2Hasher::with_params(Params::new(256, 1, 1, None).unwrap(), workers.clone());
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let busy = tokio::spawn({
            let workers = workers.clone();
            async move {
                workers
                    .run(move |_| {
                        let _ = started.send(());
                        let _ = gate.recv();
                        Ok(())
                    })
                    .await
            }
        });
        running.await.unwrap();
        // The worker is busy: one hash waits in the queue, the next is refused at once.
        let queued = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash(&password("в очереди 2026")).await }
        });
        while !hasher.is_full() {
            tokio::task::yield_now().await;
        }
        let full = HasherLoad {
            jobs: 2,
            workers: 1,
            capacity: 2,
            refused: 0,
        };
        assert_eq!(workers.load(), full);
        assert_eq!(
            hasher
                .verify(&login("ещё один"), &PasswordHash::from_phc("x".into()))
                .await,
            Err(HashError::Busy)
        );
        assert_eq!(
            hasher.hash(&password("и ещё один")).await,
            Err(HashError::Busy)
        );
        assert_eq!(workers.load(), HasherLoad { refused: 2, ..full });
        open.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(()));
        let hash = queued.await.unwrap().unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        // Free again.
        assert_eq!(
            hasher.verify(&login("в очереди 2026"), &hash).await,
            Ok(Verification::Valid {
                needs_rehash: false
            })
        );
    }

    #[tokio::test]
    async fn hashes_of_the_old_hasher_still_verify() {
        // A PHC string made by argon2's own `hash_password`, as the hasher did before.
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let old = Argon2::default()
            .hash_password(b"prezhniy parol 1", &salt)
            .unwrap()
            .to_string();
        let hasher = Argon2Hasher::new(pool(1, 1));
        let old = PasswordHash::from_phc(old);
        assert_eq!(
            hasher.verify(&login("prezhniy parol 1"), &old).await,
            Ok(Verification::Valid {
                needs_rehash: false
            })
        );
        assert_eq!(
            hasher.verify(&login("prezhniy parol 2"), &old).await,
            Ok(Verification::Invalid)
        );
    }

    #[test]
    fn the_default_leaves_a_core_to_the_rest_of_the_server() {
        let pool = |workers: usize| HasherPool {
            workers,
            queue: workers * QUEUE_PER_WORKER,
        };
        assert_eq!(HasherPool::for_cores(1), pool(1));
        assert_eq!(HasherPool::for_cores(2), pool(1));
        assert_eq!(HasherPool::for_cores(8), pool(7));
        assert_eq!(HasherPool::for_cores(0), pool(1));
    }

    #[tokio::test]
    async fn a_worker_keeps_its_memory_from_one_hash_to_the_next() {
        let params = Params::new(1024, 1, 1, None).unwrap();
        let workers = pool(1, 1);
        let where_is = |memory: &mut Vec<Block>| (memory.as_ptr() as usize, memory.capacity());
        let mut seen = Vec::new();
        for _ in 0..3 {
            let params = params.clone();
            seen.push(
                workers
                    .run(move |memory| {
                        hash_with(&params, b"the same memory", memory)?;
                        Ok(where_is(memory))
                    })
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(seen[0].1, params.block_count());
        assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_hashing_threads_run_at_a_lower_priority_than_the_rest() {
        use rustix::process::getpriority_process;
        use rustix::thread::gettid;
        let own = getpriority_process(Some(gettid())).unwrap();
        let hashing = pool(1, 0)
            .run(|_| Ok(getpriority_process(Some(gettid())).unwrap()))
            .await
            .unwrap();
        assert_eq!(hashing, (own + HASHER_NICE).min(19));
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
