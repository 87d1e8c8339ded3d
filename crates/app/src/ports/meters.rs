use async_trait::async_trait;
use vodokanal_domain::{AccountNumber, Meter, MeterNumber};

use crate::StoreError;

/// A meter and the account it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedMeter {
    pub account_number: AccountNumber,
    pub meter: Meter,
}

/// Meters by number: a meter number is unique in the registry.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MeterRepository: std::fmt::Debug + Send + Sync {
    async fn find(&self, number: &MeterNumber) -> Result<Option<LocatedMeter>, StoreError>;
}
