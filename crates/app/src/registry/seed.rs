//! Loading a built-in registry once (the demo's).

use std::fmt;
use std::sync::Arc;

use vodokanal_domain::AccountNumber;

use crate::StoreError;
use crate::ports::{AccountRepository, RegistrySource, RegistryStore};
use crate::registry::{ImportRegistry, ImportRegistryError, ImportReport};

#[derive(Debug, thiserror::Error)]
pub enum SeedRegistryError {
    /// The store can't tell whether the marker account is there.
    #[error("the registry can't be checked: {0}")]
    Check(#[source] StoreError),
    /// The import failed.
    #[error(transparent)]
    Import(#[from] ImportRegistryError),
}

/// Imports a registry unless the store already knows its marker account (one account of
/// that registry): a registry loaded once is left alone afterwards, so that what was done on
/// it (readings, payments) is not reset by loading it again.
pub struct SeedRegistry {
    accounts: Arc<dyn AccountRepository>,
    import: ImportRegistry,
}

impl fmt::Debug for SeedRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeedRegistry")
    }
}

impl SeedRegistry {
    pub fn new(accounts: Arc<dyn AccountRepository>, registry: Arc<dyn RegistryStore>) -> Self {
        Self {
            accounts,
            import: ImportRegistry::new(registry),
        }
    }

    /// What the import did, or `None` when `marker` was already there and nothing was read.
    pub async fn execute(
        &self,
        marker: &AccountNumber,
        source: &mut dyn RegistrySource,
    ) -> Result<Option<ImportReport>, SeedRegistryError> {
        let present = self
            .accounts
            .find(marker)
            .await
            .map_err(SeedRegistryError::Check)?;
        if present.is_some() {
            return Ok(None);
        }
        Ok(Some(self.import.execute(source).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockRegistrySource, MockRegistryStore, RawRow, UpsertCounts};
    use crate::testing::{account, account_number, accounts_finding};

    #[tokio::test]
    async fn a_registry_whose_marker_is_there_is_not_read() {
        let mut registry = MockRegistryStore::new();
        registry.expect_upsert().never();
        let mut source = MockRegistrySource::new();
        source.expect_next_row().never();
        let seed = SeedRegistry::new(
            Arc::new(accounts_finding(Ok(Some(account())))),
            Arc::new(registry),
        );
        let outcome = seed.execute(&account_number(), &mut source).await.unwrap();
        assert_eq!(outcome, None);
    }

    #[tokio::test]
    async fn a_registry_without_its_marker_is_imported() {
        let mut registry = MockRegistryStore::new();
        registry.expect_upsert().times(1).returning(|rows| {
            Ok(UpsertCounts {
                inserted: rows.len() as u64,
                updated: 0,
            })
        });
        let mut rows = vec![RawRow {
            line: 2,
            fields: "123456;г. Иваново;0.00;2026-10-31;;;;;"
                .split(';')
                .map(str::to_owned)
                .collect(),
        }];
        let mut source = MockRegistrySource::new();
        source
            .expect_next_row()
            .returning(move || rows.pop().map(Ok));
        let seed = SeedRegistry::new(Arc::new(accounts_finding(Ok(None))), Arc::new(registry));
        let report = seed
            .execute(&account_number(), &mut source)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.inserted, 1);
    }

    #[tokio::test]
    async fn a_store_that_cannot_tell_stops_the_seed() {
        let mut registry = MockRegistryStore::new();
        registry.expect_upsert().never();
        let seed = SeedRegistry::new(
            Arc::new(accounts_finding(Err(StoreError::Unavailable(
                "down".into(),
            )))),
            Arc::new(registry),
        );
        let outcome = seed
            .execute(&account_number(), &mut MockRegistrySource::new())
            .await;
        assert!(
            matches!(outcome, Err(SeedRegistryError::Check(_))),
            "{outcome:?}"
        );
    }
}
