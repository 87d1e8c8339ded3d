//! The small adapters to the machine: the argon2id [`Argon2Hasher`] (the `PasswordHasher`
//! port), the [`SystemClock`] (the `Clock` port) and [`OsRandom`] (the `Random` port).
//!
//! May depend on `vodokanal-app`'s ports, argon2, rand, chrono's clock, tokio (to hash off
//! the async workers) and, on Linux, rustix (the hashing threads' priority).

mod clock;
mod hasher;
mod json_lines;
mod random;

pub use clock::{ShiftedClock, SystemClock};
pub use hasher::{
    Argon2Hasher, HASHER_NICE, HashWorkers, HasherLoad, HasherPool, QUEUE_PER_WORKER,
};
pub use json_lines::JsonLines;
pub use random::OsRandom;
