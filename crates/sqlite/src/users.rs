use async_trait::async_trait;
use sqlx::SqliteExecutor;
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Caller;
use vodokanal_app::ports::{CreateUserError, UserRepository};
use vodokanal_domain::{Consent, Email, PasswordHash, Phone, TokenDigest, User, UserId};

use crate::codec::{get, get_instant, instant, parse};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `UserRepository` on SQLite.
    SqliteUserRepository
);

const COLUMNS: &str = "id, phone, email, password_hash, consent_at, consent_version, created_at";

fn user(row: &SqliteRow) -> Result<User, StoreError> {
    Ok(User {
        id: parse(row, "id")?,
        phone: parse(row, "phone")?,
        email: parse(row, "email")?,
        password_hash: PasswordHash::from_phc(get(row, "password_hash")?),
        consent: Consent {
            given_at: get_instant(row, "consent_at")?,
            version: get(row, "consent_version")?,
        },
        created_at: get_instant(row, "created_at")?,
    })
}

/// A unique constraint of `users` named by SQLite's message (`UNIQUE constraint failed:
/// users.phone`), the constraint `users_phone_key` / `users_email_key` of the schema.
fn create_error(error: sqlx::Error) -> CreateUserError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
    {
        if db.message().contains("users.phone") {
            return CreateUserError::PhoneTaken;
        }
        if db.message().contains("users.email") {
            return CreateUserError::EmailTaken;
        }
    }
    CreateUserError::Store(store_error(error))
}

impl SqliteUserRepository {
    async fn one(&self, filter: &str, value: String) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE {filter} = ?"))
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(user).transpose()
    }
}

/// Writes a user's password hash.
async fn store_hash<'e>(
    executor: impl SqliteExecutor<'e>,
    id: UserId,
    hash: &PasswordHash,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(hash.as_phc())
        .bind(id.to_string())
        .execute(executor)
        .await
        .map(drop)
        .map_err(store_error)
}

#[async_trait]
impl UserRepository for SqliteUserRepository {
    #[tracing::instrument(skip_all, fields(user = %user.id))]
    async fn create(&self, user: &User) -> Result<(), CreateUserError> {
        sqlx::query(&format!(
            "INSERT INTO users ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(user.id.to_string())
        .bind(user.phone.as_str())
        .bind(user.email.as_str())
        .bind(user.password_hash.as_phc())
        .bind(instant(user.consent.given_at))
        .bind(&user.consent.version)
        .bind(instant(user.created_at))
        .execute(&self.pool)
        .await
        .map_err(create_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.one("id", id.to_string()).await
    }

    #[tracing::instrument(skip_all, fields(phone = %phone.masked()))]
    async fn by_phone(&self, phone: &Phone) -> Result<Option<User>, StoreError> {
        self.one("phone", phone.as_str().to_owned()).await
    }

    #[tracing::instrument(skip_all, fields(email = %email.masked()))]
    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        self.one("email", email.as_str().to_owned()).await
    }

    #[tracing::instrument(skip_all, fields(user = %id))]
    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StoreError> {
        store_hash(&self.pool, id, hash).await
    }

    #[tracing::instrument(skip_all, fields(user = %id))]
    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<TokenDigest>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        store_hash(&mut *tx, id, hash).await?;
        let keep = keep.as_ref().map(|d| d.0.to_vec());
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND (? IS NULL OR digest <> ?)")
            .bind(id.to_string())
            .bind(keep.clone())
            .bind(keep)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    /// One transaction: the payments' receipt contacts and the user's idempotency records
    /// first, then the user, with the schema's `ON DELETE CASCADE` (links, sessions) and `ON
    /// DELETE SET NULL` (readings, payments, visit requests).
    #[tracing::instrument(skip_all, fields(user = %id))]
    async fn delete(&self, id: UserId) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query(
            "UPDATE payments SET receipt_email = NULL, receipt_phone = NULL \
             WHERE user_id = ? AND (receipt_email IS NOT NULL OR receipt_phone IS NOT NULL)",
        )
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query("DELETE FROM idempotency_records WHERE caller = ?")
            .bind(Caller::User(id).to_string())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}
