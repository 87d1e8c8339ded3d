//! Registered subscribers.

use async_trait::async_trait;
use sqlx::PgExecutor;
use sqlx::postgres::PgRow;
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Caller;
use vodokanal_app::ports::{CreateUserError, UserRepository};
use vodokanal_domain::{Consent, Email, PasswordHash, Phone, TokenDigest, User, UserId};

use crate::error::{store_error, violated_unique};
use crate::pg_store;
use crate::rows::{get, parse};

pg_store!(
    /// `UserRepository` on PostgreSQL: the `users` table.
    PgUserRepository
);

const COLUMNS: &str = "id, phone, email, password_hash, consent_at, consent_version, created_at";

fn user_from_row(row: &PgRow) -> Result<User, StoreError> {
    Ok(User {
        id: UserId::from_uuid(get(row, "id")?),
        phone: parse(row, "phone")?,
        email: parse(row, "email")?,
        password_hash: PasswordHash::from_phc(get(row, "password_hash")?),
        consent: Consent {
            given_at: get(row, "consent_at")?,
            version: get(row, "consent_version")?,
        },
        created_at: get(row, "created_at")?,
    })
}

impl PgUserRepository {
    async fn one_by(&self, column: &str, value: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE {column} = $1");
        sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }
}

/// Writes a user's password hash.
async fn store_hash<'e>(
    executor: impl PgExecutor<'e>,
    id: UserId,
    hash: &PasswordHash,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(id.as_uuid())
        .bind(hash.as_phc())
        .execute(executor)
        .await
        .map(drop)
        .map_err(store_error)
}

#[async_trait]
impl UserRepository for PgUserRepository {
    #[instrument(level = "debug", skip_all, fields(user = %user.id))]
    async fn create(&self, user: &User) -> Result<(), CreateUserError> {
        let inserted = sqlx::query(
            "INSERT INTO users (id, phone, email, password_hash, consent_at, consent_version, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(user.id.as_uuid())
        .bind(user.phone.as_str())
        .bind(user.email.as_str())
        .bind(user.password_hash.as_phc())
        .bind(user.consent.given_at)
        .bind(&user.consent.version)
        .bind(user.created_at)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(e) => Err(match violated_unique(&e) {
                Some("users_phone_key") => CreateUserError::PhoneTaken,
                Some("users_email_key") => CreateUserError::EmailTaken,
                _ => CreateUserError::Store(store_error(e)),
            }),
        }
    }

    #[instrument(level = "debug", skip_all)]
    async fn by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    #[instrument(level = "debug", skip_all, fields(phone = %phone.masked()))]
    async fn by_phone(&self, phone: &Phone) -> Result<Option<User>, StoreError> {
        self.one_by("phone", phone.as_str()).await
    }

    #[instrument(level = "debug", skip_all, fields(email = %email.masked()))]
    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        self.one_by("email", email.as_str()).await
    }

    #[instrument(level = "debug", skip_all, fields(user = %id))]
    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StoreError> {
        store_hash(&self.pool, id, hash).await
    }

    #[instrument(level = "debug", skip_all, fields(user = %id))]
    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<TokenDigest>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        store_hash(&mut *tx, id, hash).await?;
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR digest <> $2)",
        )
        .bind(id.as_uuid())
        .bind(keep.as_ref().map(|d| d.0.to_vec()))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    /// One transaction: the payments' receipt contacts and the user's idempotency records
    /// first, then the user, whose foreign keys delete the links and sessions (`ON DELETE
    /// CASCADE`) and clear the user from readings, payments and visit requests (`ON DELETE SET
    /// NULL`).
    #[instrument(level = "debug", skip_all, fields(user = %id))]
    async fn delete(&self, id: UserId) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "UPDATE payments SET receipt_email = NULL, receipt_phone = NULL \
             WHERE user_id = $1 AND (receipt_email IS NOT NULL OR receipt_phone IS NOT NULL)",
        )
        .bind(id.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query("DELETE FROM idempotency_records WHERE caller = $1")
            .bind(Caller::User(id).to_string())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}
