//! Group commit: the hot writes of concurrent requests share one transaction, and so one
//! sync of the disk, on the one writer connection.
//!
//! A write on SQLite costs a sync of the write-ahead log (`synchronous = FULL`) plus a round
//! trip to the connection's thread for each statement; the writer connection does one write
//! at a time, so requests that each commit on their own queue for it. [`GroupWriter`] queues
//! the writes instead: one task takes every write waiting (up to [`MAX_GROUP`]), runs them one
//! after another in one `BEGIN IMMEDIATE` transaction, commits, and only then answers each of
//! them. A write is acknowledged only once the commit that holds it is on disk, as before.
//!
//! A write that fails on its own (a constraint, a lost idempotency claim) leaves nothing: a
//! single statement is undone by SQLite, and a write of several statements runs inside a
//! savepoint that is rolled back. A failure that may have ended the transaction (the store
//! unavailable: an I/O error, a full disk) fails the whole group, and every write of it is
//! answered with that error, none of them stored. A write that waited longer than
//! [`BUSY_TIMEOUT`] for its group is answered "unavailable" without being run, as a write
//! that waited that long for the writer connection was.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};
use vodokanal_app::StoreError;

use crate::{BUSY_TIMEOUT, store_error};

/// The most writes one transaction takes.
pub(crate) const MAX_GROUP: usize = 64;

/// A write's work: its statements on the group's connection, inside the group's transaction.
pub(crate) type Work<T> = Box<
    dyn for<'c> FnOnce(
            &'c mut SqliteConnection,
        ) -> Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>
        + Send,
>;

/// `f` as a [`Work`]: a closure given straight to this function gets its higher-ranked
/// signature from the bound.
pub(crate) fn work<T, F>(f: F) -> Work<T>
where
    F: for<'c> FnOnce(
            &'c mut SqliteConnection,
        ) -> Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>
        + Send
        + 'static,
{
    Box::new(f)
}

/// How a write is undone when it fails on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Undo {
    /// One statement: SQLite undoes a failed statement by itself.
    Statement,
    /// Several statements: they run inside a savepoint, rolled back on failure.
    Savepoint,
}

/// The queue of the group commit, shared by every port of one database (clones share it).
/// The task that commits starts with the first write, on the runtime of its caller, and ends
/// when the last clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    pool: SqlitePool,
    queue: Arc<OnceLock<mpsc::UnboundedSender<Box<dyn Queued>>>>,
}

impl GroupWriter {
    /// A group writer on `pool`, the writer's pool of one connection.
    pub(crate) fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            queue: Arc::new(OnceLock::new()),
        }
    }

    /// Runs `work` in the next group, and answers once that group is committed.
    ///
    /// # Errors
    ///
    /// What `work` returns; the group's error when the group could not commit (the store
    /// unavailable), or when the write waited longer than [`BUSY_TIMEOUT`].
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        undo: Undo,
        work: Work<T>,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let write = Box::new(Write {
            work: Some(work),
            undo,
            queued_at: Instant::now(),
            outcome: None,
            reply,
        });
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(commit_groups(self.pool.clone(), receiver));
            sender
        });
        queue
            .send(write)
            .map_err(|_| StoreError::Unavailable("the SQLite group writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite group writer stopped".into()))?
    }
}

/// The task: a group from every write waiting, committed, answered; until the queue closes.
async fn commit_groups(pool: SqlitePool, mut queue: mpsc::UnboundedReceiver<Box<dyn Queued>>) {
    let mut group: Vec<Box<dyn Queued>> = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (late, ready): (Vec<_>, Vec<_>) = group
            .drain(..)
            .partition(|write| write.queued_at().elapsed() > BUSY_TIMEOUT);
        for write in late {
            write.answer(Err(StoreError::Unavailable(
                "database busy: the write waited too long for the writer".into(),
            )));
        }
        if ready.is_empty() {
            continue;
        }
        let mut ready = ready;
        let committed = commit(&pool, &mut ready).await;
        for write in ready {
            write.answer(committed.clone());
        }
    }
}

/// Runs `group` in one transaction and commits it: the group's error when it can't.
async fn commit(pool: &SqlitePool, group: &mut [Box<dyn Queued>]) -> Result<(), StoreError> {
    let mut transaction = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    for write in group.iter_mut() {
        write.run(&mut transaction).await?;
    }
    transaction.commit().await.map_err(store_error)
}

/// A write in the queue, of any result type.
trait Queued: Send {
    fn queued_at(&self) -> Instant;
    /// Runs the write, keeping its own outcome; an error here fails the whole group.
    fn run<'c>(
        &'c mut self,
        connection: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'c>>;
    /// Answers the caller: its outcome if the group committed, else the group's error.
    fn answer(self: Box<Self>, committed: Result<(), StoreError>);
}

impl std::fmt::Debug for dyn Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").finish_non_exhaustive()
    }
}

struct Write<T> {
    work: Option<Work<T>>,
    undo: Undo,
    queued_at: Instant,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send + 'static> Queued for Write<T> {
    fn queued_at(&self) -> Instant {
        self.queued_at
    }

    fn run<'c>(
        &'c mut self,
        connection: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'c>> {
        Box::pin(async move {
            let Some(work) = self.work.take() else {
                return Ok(());
            };
            let savepoint = self.undo == Undo::Savepoint;
            if savepoint {
                execute(connection, "SAVEPOINT group_write").await?;
            }
            let outcome = work(connection).await;
            match &outcome {
                // The transaction may be over (SQLite rolls back on an I/O error or a full
                // disk): the whole group fails.
                Err(error @ StoreError::Unavailable(_)) => return Err(error.clone()),
                Err(_) if savepoint => {
                    execute(connection, "ROLLBACK TO group_write").await?;
                    execute(connection, "RELEASE group_write").await?;
                }
                Ok(_) if savepoint => execute(connection, "RELEASE group_write").await?,
                _ => {}
            }
            self.outcome = Some(outcome);
            Ok(())
        })
    }

    fn answer(self: Box<Self>, committed: Result<(), StoreError>) {
        let answer = match committed {
            Ok(()) => self.outcome.unwrap_or_else(|| {
                Err(StoreError::Unavailable(
                    "the write was not run in its group".into(),
                ))
            }),
            Err(error) => Err(error),
        };
        // The caller may have gone (a request that timed out): nobody to answer.
        let _ = self.reply.send(answer);
    }
}

async fn execute(connection: &mut SqliteConnection, sql: &str) -> Result<(), StoreError> {
    sqlx::query(sql)
        .execute(connection)
        .await
        .map(|_| ())
        .map_err(store_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt as _;

    async fn pools() -> (tempfile::TempDir, crate::SqlitePools) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let pools = crate::connect(&url, 2).await.unwrap();
        sqlx::query("CREATE TABLE t (name TEXT PRIMARY KEY)")
            .execute(&pools.writer)
            .await
            .unwrap();
        (dir, pools)
    }

    /// A write that inserts `name`, then fails with `fails` if any.
    fn insert(name: &'static str, fails: Option<StoreError>) -> Work<()> {
        work(move |connection| {
            Box::pin(async move {
                execute(connection, &format!("INSERT INTO t VALUES ('{name}')")).await?;
                fails.map_or(Ok(()), Err)
            })
        })
    }

    async fn names(pools: &crate::SqlitePools) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM t ORDER BY name")
            .fetch_all(&pools.readers)
            .await
            .unwrap()
    }

    /// Queues `b` and `c` while a first write holds the writer, so that the two share the
    /// next group; returns their answers.
    async fn grouped(
        pools: &crate::SqlitePools,
        b: (Undo, Work<()>),
        c: (Undo, Work<()>),
    ) -> (Result<(), StoreError>, Result<(), StoreError>) {
        let group = &pools.group;
        let (started, running) = oneshot::channel();
        let (release, released) = oneshot::channel::<()>();
        let first = group.write(
            Undo::Statement,
            work(move |connection| {
                Box::pin(async move {
                    execute(connection, "INSERT INTO t VALUES ('a')").await?;
                    let _ = started.send(());
                    let _ = released.await;
                    Ok(())
                })
            }),
        );
        let mut first = std::pin::pin!(first);
        let mut b = std::pin::pin!(group.write(b.0, b.1));
        let mut c = std::pin::pin!(group.write(c.0, c.1));
        // The first write's group runs until released; b and c queue meanwhile.
        assert!((&mut first).now_or_never().is_none());
        running.await.unwrap();
        assert!((&mut b).now_or_never().is_none());
        assert!((&mut c).now_or_never().is_none());
        release.send(()).unwrap();
        first.await.unwrap();
        (b.await, c.await)
    }

    #[tokio::test]
    async fn concurrent_writes_share_one_transaction_and_fail_together() {
        let (_dir, pools) = pools().await;
        let unavailable = StoreError::Unavailable("the disk is full".into());
        let (b, c) = grouped(
            &pools,
            (Undo::Statement, insert("b", None)),
            (Undo::Statement, insert("c", Some(unavailable.clone()))),
        )
        .await;
        // b succeeded on its own, but c's failure may have ended the transaction they share:
        // neither is stored, and both are told so.
        assert_eq!(b, Err(unavailable.clone()));
        assert_eq!(c, Err(unavailable));
        assert_eq!(names(&pools).await, ["a"]);
    }

    #[tokio::test]
    async fn a_write_that_fails_on_its_own_leaves_nothing_and_spares_its_group() {
        let (_dir, pools) = pools().await;
        let corrupt = StoreError::ClaimLost;
        let (b, c) = grouped(
            &pools,
            (Undo::Savepoint, insert("b", Some(corrupt.clone()))),
            (Undo::Statement, insert("c", None)),
        )
        .await;
        assert_eq!(b, Err(corrupt));
        assert_eq!(c, Ok(()));
        // Answered only once committed: a reader on another connection sees it.
        assert_eq!(names(&pools).await, ["a", "c"]);
    }

    #[tokio::test]
    async fn a_failed_statement_alone_is_undone_by_sqlite_and_spares_its_group() {
        let (_dir, pools) = pools().await;
        // "a" is taken by the first write: b's insert fails on the primary key.
        let (b, c) = grouped(
            &pools,
            (Undo::Statement, insert("a", None)),
            (Undo::Statement, insert("c", None)),
        )
        .await;
        assert!(matches!(b, Err(StoreError::Corrupt(_))), "{b:?}");
        assert_eq!(c, Ok(()));
        assert_eq!(names(&pools).await, ["a", "c"]);
    }
}
