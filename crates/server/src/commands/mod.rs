//! The operator's commands besides `serve`: each takes the opened store (and what else it
//! needs) and writes its report to `out` (standard output in the binary).

mod export;
mod import;
mod notices;
mod readings;
mod reconcile;

pub use export::export;
pub use import::import_registry;
pub use notices::plan_notices;
pub use readings::readings;
pub use reconcile::reconcile_payments;
