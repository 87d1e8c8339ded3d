use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::ports::SessionRepository;
use vodokanal_domain::{PasswordHash, Session, TokenDigest};

use crate::codec::{get_digest, get_instant, instant, parse};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `SessionRepository` on SQLite.
    SqliteSessionRepository
);

fn session(row: &SqliteRow) -> Result<Session, StoreError> {
    Ok(Session {
        digest: TokenDigest(get_digest(row, "digest")?),
        user_id: parse(row, "user_id")?,
        created_at: get_instant(row, "created_at")?,
        expires_at: get_instant(row, "expires_at")?,
    })
}

#[async_trait]
impl SessionRepository for SqliteSessionRepository {
    #[tracing::instrument(skip_all, fields(user = %session.user_id))]
    async fn create(&self, session: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(session.digest.0.as_slice())
        .bind(session.user_id.to_string())
        .bind(instant(session.created_at))
        .bind(instant(session.expires_at))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %session.user_id))]
    async fn create_if_password(
        &self,
        session: &Session,
        verified: &PasswordHash,
    ) -> Result<bool, StoreError> {
        // One statement: SQLite runs writes one at a time, so a reset's transaction is wholly
        // before (the hash differs: nothing) or wholly after (its delete ends this session).
        let created = sqlx::query(
            "INSERT INTO sessions (digest, user_id, created_at, expires_at) \
             SELECT ?, id, ?, ? FROM users WHERE id = ? AND password_hash = ?",
        )
        .bind(session.digest.0.as_slice())
        .bind(instant(session.created_at))
        .bind(instant(session.expires_at))
        .bind(session.user_id.to_string())
        .bind(verified.as_phc())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(created.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn find(&self, digest: &TokenDigest) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT digest, user_id, created_at, expires_at FROM sessions WHERE digest = ?",
        )
        .bind(digest.0.as_slice())
        .fetch_optional(&self.reads)
        .await
        .map_err(store_error)?;
        row.as_ref().map(session).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn revoke(&self, digest: &TokenDigest) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE digest = ?")
            .bind(digest.0.as_slice())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
