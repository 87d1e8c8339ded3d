//! The demo registry (`VODOKANAL_DEMO`): five accounts in Ivanovo with meters, debts and last
//! readings, so that every screen has something to show. Embedded in the binary.
//!
//! | account | meters (last 4 digits) | debt |
//! | --- | --- | --- |
//! | 100001 | cold `1234`, hot `2345` | 1234.50 |
//! | 100002 | cold `3456` | 0.00 |
//! | 100003 | cold `4567`, hot `5678` | -350.75 (overpaid) |
//! | 100004 | cold `6789` | 5870.00 |
//! | 100005 | none | 312.40 |

use vodokanal_app::UseCases;
use vodokanal_app::registry::SeedRegistryError;
use vodokanal_domain::AccountNumber;

use crate::error::Error;

/// The demo registry, in the contract's registry format.
pub const REGISTRY: &str = include_str!("registry.csv");

/// The demo's first account: its presence means the demo (or a real registry that has it) is
/// loaded.
const FIRST_ACCOUNT: &str = "100001";

/// Loads the demo registry unless its first account is already there. Returns whether it
/// loaded.
///
/// The store ports offer no "is the registry empty" question, so "an empty database" is read
/// as "no demo account yet": a database that already holds the demo is left alone, and a
/// restart does not reset what the demo's subscribers did.
pub async fn load_if_absent(use_cases: &UseCases) -> Result<bool, Error> {
    let first: AccountNumber = FIRST_ACCOUNT
        .parse()
        .map_err(|e| Error::Command(format!("the demo registry's account number: {e}")))?;
    let mut source = crate::wiring::registry_source(REGISTRY.as_bytes());
    let seeded = use_cases
        .seed_registry
        .execute(&first, &mut source)
        .await
        .map_err(|e| match e {
            SeedRegistryError::Check(e) => {
                Error::Command(format!("the demo registry can't be checked: {e}"))
            }
            SeedRegistryError::Import(e) => {
                Error::Command(format!("the demo registry could not be loaded: {e}"))
            }
        })?;
    let Some(report) = seeded else {
        return Ok(false);
    };
    if report.rejected_count > 0 {
        return Err(Error::Command(format!(
            "the demo registry has {} bad rows",
            report.rejected_count
        )));
    }
    tracing::info!(inserted = report.inserted, "demo registry loaded");
    Ok(true)
}
