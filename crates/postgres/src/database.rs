//! [`PgDatabase`]: the pool every store holds, and how its statements reach PostgreSQL
//! straight or through a transaction pooler ([`Pooler`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt as _, TryStreamExt as _};
use sqlx::Describe;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Either, Execute, Executor, PgConnection, PgPool, Postgres, Transaction};

use crate::Pooler;

/// The pool, and how a unit of work begins on it.
///
/// Straight to PostgreSQL, a statement outside a transaction runs on a pooled connection in
/// autocommit, as on a plain `PgPool`. Behind a transaction pooler each statement runs in a
/// transaction of its own, committed before the statement's result is handed back: sqlx sends
/// a statement in two round trips (parse, then bind and execute), and only a transaction keeps
/// both on one server session. The transaction's `BEGIN` sets the statement timeout with
/// `SET LOCAL`, in the same round trip.
///
/// With a statement timeout, the wait for a connection and a statement (or a transaction's
/// `BEGIN`) also has a deadline of its own, [`DEADLINE_MARGIN`] past the timeout: a database
/// that stops answering altogether (a network partition) can't cancel anything, and the pool
/// does not ping a connection before handing it out, so without it a request would wait for
/// its own timeout. Past the deadline the store is `Unavailable`, a 503.
#[derive(Debug, Clone)]
pub struct PgDatabase {
    pool: PgPool,
    /// Behind a transaction pooler: the statement that begins a transaction.
    pooled_begin: Option<Arc<str>>,
    deadline: Option<Duration>,
}

/// How much longer than the statement timeout a statement is waited for: the server's
/// cancellation comes first when the server answers.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

impl PgDatabase {
    pub(crate) fn new(pool: PgPool, pooler: Pooler, statement_timeout: Option<Duration>) -> Self {
        let pooled_begin = (pooler == Pooler::Transaction).then(|| {
            match statement_timeout {
                Some(timeout) => format!(
                    "BEGIN; SET LOCAL statement_timeout = '{}ms'",
                    timeout.as_millis().max(1)
                ),
                None => "BEGIN".to_owned(),
            }
            .into()
        });
        Self {
            pool,
            pooled_begin,
            deadline: statement_timeout.map(|timeout| timeout + DEADLINE_MARGIN),
        }
    }

    /// The sqlx pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether a transaction pooler stands between the pool and PostgreSQL.
    pub fn pooler(&self) -> Pooler {
        if self.pooled_begin.is_some() {
            Pooler::Transaction
        } else {
            Pooler::None
        }
    }

    /// Begins a transaction.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        within(
            self.deadline,
            begin(&self.pool, self.pooled_begin.as_deref()),
        )
        .await
    }

    /// A connection for a few statements that need no transaction: a pooled connection straight
    /// to PostgreSQL, a transaction behind a pooler. [`Checkout::done`] ends it.
    pub(crate) async fn acquire(&self) -> Result<Checkout, sqlx::Error> {
        Ok(match &self.pooled_begin {
            None => Checkout::Connection(self.pool.acquire().await?),
            Some(statement) => Checkout::Transaction(begin(&self.pool, Some(statement)).await?),
        })
    }
}

impl From<PgPool> for PgDatabase {
    /// Straight to PostgreSQL, without a statement timeout.
    fn from(pool: PgPool) -> Self {
        Self::new(pool, Pooler::None, None)
    }
}

/// `work`, or an I/O error (`Unavailable`) past `deadline`.
async fn within<T>(
    deadline: Option<Duration>,
    work: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    let Some(deadline) = deadline else {
        return work.await;
    };
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|_| {
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "PostgreSQL did not answer within the statement timeout",
            )))
        })
}

async fn begin(
    pool: &PgPool,
    pooled_begin: Option<&str>,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    match pooled_begin {
        None => pool.begin().await,
        Some(statement) => pool.begin_with(statement.to_owned()).await,
    }
}

/// What [`PgDatabase::acquire`] hands out.
#[derive(Debug)]
pub(crate) enum Checkout {
    Connection(PoolConnection<Postgres>),
    Transaction(Transaction<'static, Postgres>),
}

impl Checkout {
    /// Commits the transaction behind a pooler; gives the connection back otherwise.
    pub(crate) async fn done(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Connection(_) => Ok(()),
            Self::Transaction(transaction) => transaction.commit().await,
        }
    }
}

impl std::ops::Deref for Checkout {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            Self::Connection(connection) => connection,
            Self::Transaction(transaction) => transaction,
        }
    }
}

impl std::ops::DerefMut for Checkout {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Self::Connection(connection) => connection,
            Self::Transaction(transaction) => transaction,
        }
    }
}

type Item = Either<PgQueryResult, PgRow>;

impl<'p> Executor<'p> for &'_ PgDatabase {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Item, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let pool = self.pool.clone();
        let pooled_begin = self.pooled_begin.clone();
        // The whole result is read within the deadline (and before the commit behind a
        // pooler): the store's statements return a few rows; the exports, which stream, run
        // without a statement timeout.
        let deadline = self.deadline;
        if deadline.is_none() && pooled_begin.is_none() {
            return self.pool.fetch_many(query);
        }
        stream::once(within(deadline, async move {
            let items: Vec<Item> = match pooled_begin {
                None => pool.fetch_many(query).try_collect().await?,
                Some(statement) => {
                    let mut transaction = begin(&pool, Some(&statement)).await?;
                    let items = transaction.fetch_many(query).try_collect().await?;
                    transaction.commit().await?;
                    items
                }
            };
            Ok(stream::iter(items.into_iter().map(Ok)))
        }))
        .try_flatten()
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let pool = self.pool.clone();
        let pooled_begin = self.pooled_begin.clone();
        Box::pin(within(self.deadline, async move {
            match pooled_begin {
                None => pool.fetch_optional(query).await,
                Some(statement) => {
                    let mut transaction = begin(&pool, Some(&statement)).await?;
                    let row = transaction.fetch_optional(query).await?;
                    transaction.commit().await?;
                    Ok(row)
                }
            }
        }))
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.describe(sql)
    }
}
