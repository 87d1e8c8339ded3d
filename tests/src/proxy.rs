//! A TCP proxy on 127.0.0.1 in front of PostgreSQL that a test cuts and restores, so that the
//! server loses its database while the machine's PostgreSQL stays up for everyone else.
//!
//! It runs on a thread and a runtime of its own, so that a test blocking its own runtime does
//! not stall the server's database.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The state of the link between the server and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Bytes go both ways.
    Up,
    /// Every connection is reset (RST), and so is every new one as soon as it is accepted.
    Cut,
    /// Nothing moves: the open connections stay open and silent, new ones are accepted and never
    /// answered. When it ends, the connections it held are reset.
    Blackhole,
    /// The proxy is dropped.
    Closed,
}

/// A proxy to the PostgreSQL server of a database URL; stopped on drop.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    url: String,
    link: watch::Sender<Link>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy on a free port of 127.0.0.1 to the host and port of `database_url`
    /// (`postgres://user@host:port/name`).
    pub fn start(database_url: &str) -> Self {
        let (start, end) = authority(database_url);
        let upstream: SocketAddr = database_url[start..end]
            .parse()
            .unwrap_or_else(|error| panic!("{database_url}: not host:port ({error})"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("{}{addr}{}", &database_url[..start], &database_url[end..]);
        let (link, receiver) = watch::channel(Link::Up);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                accept(listener, upstream, receiver).await;
            });
        });
        Self {
            addr,
            url,
            link,
            thread: Some(thread),
        }
    }

    /// The database URL through the proxy, for `VODOKANAL_DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resets every connection (RST) and every new one: PostgreSQL is gone.
    pub fn cut(&self) {
        self.set(Link::Cut);
    }

    /// Stops every byte: open connections hang, new ones are accepted and never answered (a
    /// frozen server, or a network that drops packets).
    pub fn blackhole(&self) {
        self.set(Link::Blackhole);
    }

    /// Forwards new connections again; the ones a blackhole held are reset.
    pub fn restore(&self) {
        self.set(Link::Up);
    }

    fn set(&self, link: Link) {
        self.link.send_if_modified(|current| {
            let changed = *current != link;
            *current = link;
            changed
        });
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.set(Link::Closed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The byte range of `host:port` in a URL.
fn authority(url: &str) -> (usize, usize) {
    let scheme_end = url.find("://").map_or(0, |at| at + 3);
    let rest = &url[scheme_end..];
    let end = scheme_end + rest.find(['/', '?']).unwrap_or(rest.len());
    let start = url[scheme_end..end]
        .rfind('@')
        .map_or(scheme_end, |at| scheme_end + at + 1);
    (start, end)
}

async fn accept(listener: TcpListener, upstream: SocketAddr, mut link: watch::Receiver<Link>) {
    loop {
        let client = tokio::select! {
            client = listener.accept() => match client {
                Ok((client, _)) => client,
                Err(_) => continue,
            },
            changed = link.changed() => {
                if changed.is_err() || *link.borrow() == Link::Closed {
                    return;
                }
                continue;
            }
        };
        let state = *link.borrow();
        match state {
            Link::Up => drop(tokio::spawn(pipe(client, upstream, link.clone()))),
            Link::Cut => reset(client),
            Link::Blackhole => drop(tokio::spawn(hold(client, link.clone()))),
            Link::Closed => return,
        }
    }
}

/// Forwards both ways while the link is up; then, past any blackhole, resets both ends.
async fn pipe(mut client: TcpStream, upstream: SocketAddr, mut link: watch::Receiver<Link>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        reset(client);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
        _ = link.wait_for(|link| *link != Link::Up) => {}
    }
    let _ = link.wait_for(|link| *link != Link::Blackhole).await;
    reset(client);
    reset(server);
}

/// Holds a connection accepted during a blackhole without a word, and resets it when the
/// blackhole ends.
async fn hold(client: TcpStream, mut link: watch::Receiver<Link>) {
    let _ = link.wait_for(|link| *link != Link::Blackhole).await;
    reset(client);
}

/// Closes with RST rather than FIN.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_and_port_are_found_in_a_url() {
        let url = "postgres://postgres@127.0.0.1:5432/db?sslmode=disable";
        let (start, end) = authority(url);
        assert_eq!(&url[start..end], "127.0.0.1:5432");
        let url = "postgres://127.0.0.1:5432";
        let (start, end) = authority(url);
        assert_eq!(&url[start..end], "127.0.0.1:5432");
    }
}
