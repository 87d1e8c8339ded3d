//! Accounts (лицевой счет) in the cabinet: linking one by the last digits of a meter, showing
//! it with its debt and its meters' last readings, relabelling and unlinking it.

pub mod link;
pub mod list;
pub mod relabel;
pub mod unlink;
pub mod view;

pub use link::{LinkAccount, LinkAccountCommand, LinkAccountError};
pub use list::{ListAccountsCommand, ListAccountsError};
pub use relabel::{RelabelAccount, RelabelAccountCommand, RelabelAccountError};
pub use unlink::{UnlinkAccount, UnlinkAccountCommand, UnlinkAccountError};
pub use view::{AccountView, AccountViews, LastReading, ViewAccountCommand, ViewAccountError};
