//! Logged-in sessions, by token digest.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::ports::SessionRepository;
use vodokanal_domain::{PasswordHash, Session, TokenDigest, UserId};

use crate::error::store_error;
use crate::pg_store;
use crate::rows::{digest, get};

pg_store!(
    /// `SessionRepository` on PostgreSQL: the `sessions` table.
    PgSessionRepository
);

fn session_from_row(row: &PgRow) -> Result<Session, StoreError> {
    Ok(Session {
        digest: TokenDigest(digest("digest", get(row, "digest")?)?),
        user_id: UserId::from_uuid(get(row, "user_id")?),
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

#[async_trait]
impl SessionRepository for PgSessionRepository {
    #[instrument(level = "debug", skip_all, fields(user = %session.user_id))]
    async fn create(&self, session: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.digest.0[..])
        .bind(session.user_id.as_uuid())
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(user = %session.user_id))]
    async fn create_if_password(
        &self,
        session: &Session,
        verified: &PasswordHash,
    ) -> Result<bool, StoreError> {
        // `FOR SHARE` locks the user's row against a reset's UPDATE: a reset that updated it
        // first makes this wait and then find the new hash (nothing inserted); one that comes
        // after waits for this insert to commit, and its delete then ends this session.
        let created = sqlx::query(
            "INSERT INTO sessions (digest, user_id, created_at, expires_at) \
             SELECT $1, u.id, $2, $3 FROM ( \
                 SELECT id FROM users WHERE id = $4 AND password_hash = $5 FOR SHARE \
             ) AS u",
        )
        .bind(&session.digest.0[..])
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(session.user_id.as_uuid())
        .bind(verified.as_phc())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(created.rows_affected() == 1)
    }

    #[instrument(level = "debug", skip_all)]
    async fn find(&self, digest: &TokenDigest) -> Result<Option<Session>, StoreError> {
        sqlx::query(
            "SELECT digest, user_id, created_at, expires_at FROM sessions WHERE digest = $1",
        )
        .bind(&digest.0[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .as_ref()
        .map(session_from_row)
        .transpose()
    }

    #[instrument(level = "debug", skip_all)]
    async fn revoke(&self, digest: &TokenDigest) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(&digest.0[..])
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
