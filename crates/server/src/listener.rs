//! The HTTP listener: HTTP/1.1 connections served by hyper with a header read timeout (a
//! client that sends its request head too slowly, a slowloris, is cut off) and a cap on the
//! connections open at once (past it, new connections wait in the kernel's backlog until one
//! closes, instead of each taking a task and a socket). On stop, no new connection is
//! accepted and the open ones finish their requests.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;
use tracing::{debug, error};

/// The listener's defences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerLimits {
    /// A request head (request line and headers) not received whole within this closes the
    /// connection.
    pub header_read_timeout: Duration,
    /// The most connections open at once.
    pub max_connections: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// Serves `app` on `listener` until `stop` turns `true`, then stops accepting and returns once
/// every open connection has finished its request in flight (the caller bounds that wait).
/// Each request carries the peer's address as axum's `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ListenerLimits,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        // A slot first: past the cap, the next connection is not even accepted.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Errors of one connection (it was reset before it was accepted) are passed over; others
/// (out of file descriptors) are logged and accepting pauses, so that a loop does not spin.
async fn accept_failed(e: &io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    error!(error = %e, "accepting a connection failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Resolves once the stop is sent (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::sync::Notify;

    use super::*;

    /// A bound on how long a test waits for what must happen, so that a broken listener fails
    /// the test instead of hanging it; not a claim about speed.
    const PATIENCE: Duration = Duration::from_secs(20);

    async fn start(app: Router, limits: ListenerLimits) -> (SocketAddr, watch::Sender<bool>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(serve(listener, app, limits, stop_rx));
        (address, stop)
    }

    /// Everything the server sends until it closes the connection.
    async fn until_closed(stream: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server never closed the connection");
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn a_client_that_sends_half_a_header_is_cut_off() {
        let app = Router::new().route("/", get(|| async { "ok" }));
        let limits = ListenerLimits {
            header_read_timeout: Duration::from_millis(200),
            ..ListenerLimits::default()
        };
        let (address, _stop) = start(app, limits).await;
        let mut slow = TcpStream::connect(address).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        let answer = until_closed(&mut slow).await;
        assert!(!answer.contains("200 OK"), "{answer}");

        // A client that sends its head at once is served as before.
        let mut quick = TcpStream::connect(address).await.unwrap();
        quick
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        assert!(
            until_closed(&mut quick)
                .await
                .starts_with("HTTP/1.1 200 OK")
        );
    }

    #[tokio::test]
    async fn past_the_cap_a_connection_waits_until_one_closes() {
        let arrived = Arc::new(AtomicUsize::new(0));
        // Each request waits for a permit the test hands out.
        let gate = Arc::new(Semaphore::new(0));
        let app = {
            let arrived = arrived.clone();
            let gate = gate.clone();
            Router::new().route(
                "/",
                get(move || {
                    let arrived = arrived.clone();
                    let gate = gate.clone();
                    async move {
                        arrived.fetch_add(1, Ordering::SeqCst);
                        gate.acquire().await.unwrap().forget();
                        "ok"
                    }
                }),
            )
        };
        let limits = ListenerLimits {
            max_connections: 2,
            ..ListenerLimits::default()
        };
        let (address, _stop) = start(app, limits).await;
        let request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let mut streams = Vec::new();
        for _ in 0..3 {
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(request).await.unwrap();
            streams.push(stream);
        }
        let arrivals = |n: usize| {
            let arrived = arrived.clone();
            tokio::time::timeout(PATIENCE, async move {
                while arrived.load(Ordering::SeqCst) < n {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        };
        assert!(
            arrivals(2).await.is_ok(),
            "the first two requests never arrived"
        );
        // The third connection is not served while two are open.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(arrived.load(Ordering::SeqCst), 2);

        // One finishes and closes: the third is accepted and served.
        gate.add_permits(1);
        assert!(
            arrivals(3).await.is_ok(),
            "the third request was never served"
        );
        gate.add_permits(2);
        for mut stream in streams {
            assert!(
                until_closed(&mut stream)
                    .await
                    .starts_with("HTTP/1.1 200 OK")
            );
        }
    }

    #[tokio::test]
    async fn a_stop_lets_the_request_in_flight_finish() {
        let started = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let app = {
            let started = started.clone();
            let release = release.clone();
            Router::new().route(
                "/",
                get(move || {
                    let started = started.clone();
                    let release = release.clone();
                    async move {
                        started.notify_one();
                        release.notified().await;
                        "finished"
                    }
                }),
            )
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stop_rx) = watch::channel(false);
        let server = tokio::spawn(serve(listener, app, ListenerLimits::default(), stop_rx));
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        started.notified().await;
        stop.send(true).unwrap();
        release.notify_one();
        let answer = until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.ends_with("finished"), "{answer}");
        tokio::time::timeout(PATIENCE, server)
            .await
            .unwrap()
            .unwrap();
        assert!(TcpStream::connect(address).await.is_err());
    }
}
