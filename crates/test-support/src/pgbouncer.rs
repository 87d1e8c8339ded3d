//! A PgBouncer in transaction pooling mode for tests (Debian's `pgbouncer`, at
//! `/usr/sbin/pgbouncer` or `PGBOUNCER`), on a free port, in front of a PostgreSQL server, with
//! the settings docs/deployment.md gives. Stopped when dropped.
#![expect(
    clippy::panic,
    reason = "a PgBouncer that can't be set up fails the test"
)]

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running PgBouncer.
#[derive(Debug)]
pub struct PgBouncer {
    child: Child,
    port: u16,
    user: String,
}

impl PgBouncer {
    /// Starts PgBouncer with its files in `dir`, every database passed to the PostgreSQL server
    /// at `host:port` as `user`, at most `server_sessions` server sessions per database; waits
    /// until it accepts connections.
    ///
    /// # Panics
    ///
    /// When PgBouncer is not installed or does not start: the test fails.
    pub fn start(dir: &Path, host: &str, port: u16, user: &str, server_sessions: u32) -> Self {
        let listen = free_port();
        let ini = dir.join("pgbouncer.ini");
        let config = format!(
            "[databases]\n\
             * = host={host} port={port} user={user}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {listen}\n\
             unix_socket_dir =\n\
             auth_type = any\n\
             pool_mode = transaction\n\
             default_pool_size = {server_sessions}\n\
             max_client_conn = 200\n\
             server_reset_query = DISCARD ALL\n\
             server_reset_query_always = 1\n"
        );
        std::fs::write(&ini, config)
            .unwrap_or_else(|e| panic!("{} is not written: {e}", ini.display()));
        let binary =
            std::env::var("PGBOUNCER").unwrap_or_else(|_| "/usr/sbin/pgbouncer".to_owned());
        let mut command = Command::new(&binary);
        if running_as_root() {
            // PgBouncer refuses to run as root; its files must be readable by the user it becomes.
            use std::os::unix::fs::PermissionsExt as _;
            for (path, mode) in [(dir, 0o755), (ini.as_path(), 0o644)] {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                    .unwrap_or_else(|e| panic!("{} can't be opened up: {e}", path.display()));
            }
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{binary} does not start ({e}): scripts/pgbouncer-tests.sh installs it")
            });
        let mut bouncer = Self {
            child,
            port: listen,
            user: user.to_owned(),
        };
        bouncer.wait_until_listening();
        bouncer
    }

    /// The URL of `database` through PgBouncer.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{database}",
            self.user, self.port
        )
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("pgbouncer exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "pgbouncer does not listen within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("no free port: {e}"),
    }
}

/// Whether this process runs as root.
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .map(|ids| ids.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}
