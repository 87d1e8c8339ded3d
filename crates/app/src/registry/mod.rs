//! The billing system's side: importing its registry of accounts and meters
//! (`vodokanal import-registry`) and exporting readings, payments and visit requests to it
//! (`vodokanal export ...`).

pub mod export;
pub mod import;
pub mod seed;

pub use export::{
    ExportPayments, ExportPaymentsCommand, ExportPaymentsError, ExportReadings,
    ExportReadingsCommand, ExportReadingsError, ExportVisitRequests, ExportVisitRequestsCommand,
    ExportVisitRequestsError,
};
pub use import::{ImportRegistry, ImportRegistryError, ImportReport, Rejected};
pub use seed::{SeedRegistry, SeedRegistryError};
