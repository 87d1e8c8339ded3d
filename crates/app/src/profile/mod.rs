//! The signed-in subscriber's own profile: view it, change the password, delete it, download
//! its history.

pub mod change_password;
pub mod delete;
pub mod history;
pub mod password_check;
pub mod view;

pub use change_password::{ChangePassword, ChangePasswordCommand, ChangePasswordError};
pub use delete::{DeleteProfile, DeleteProfileCommand, DeleteProfileError};
pub use history::{DownloadHistory, DownloadHistoryCommand, DownloadHistoryError};
pub use password_check::{PasswordCheck, PasswordCheckError};
pub use view::{Profile, ViewProfile, ViewProfileCommand, ViewProfileError};
