//! Progress of the long operator commands (`import-registry`, `export`): on a terminal, a bar
//! on standard error; otherwise (cron, systemd) an `info` log line every [`LOG_EVERY`]; and in
//! both, a summary at the end. Standard output stays the command's own (its report, its CSV).
//!
//! [`Progress`] counts; [`CountingReader`] (an import's file) and [`CountingSink`] (an
//! export's rows) feed it from where the work really happens.

use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::io::{AsyncRead, ReadBuf};
use vodokanal_app::ports::{ExportSink, SinkError};

/// The bar on screen, if any: a log line is written around it ([`StderrBesideTheBar`]).
static ON_SCREEN: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn show(bar: Option<ProgressBar>) {
    if let Ok(mut on_screen) = ON_SCREEN.lock() {
        *on_screen = bar;
    }
}

/// Standard error for the log: while a bar is on screen, each line is written above it (the
/// bar is cleared, the line written, the bar drawn again) rather than into it.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrBesideTheBar;

impl tracing_subscriber::fmt::MakeWriter<'_> for StderrBesideTheBar {
    type Writer = Self;

    fn make_writer(&self) -> Self {
        *self
    }
}

impl Write for StderrBesideTheBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ON_SCREEN
            .lock()
            .ok()
            .and_then(|on_screen| on_screen.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// How often a progress line is logged when standard error is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// How often the bar's text (rows, rate) is rebuilt; the bar itself redraws at its own pace.
const BAR_TEXT_EVERY: Duration = Duration::from_millis(250);

/// What the position counts toward the end: the bytes of a file, or rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Rows,
}

/// The progress of one long command.
#[derive(Debug)]
pub struct Progress {
    /// What is going on, as a log line starts: "importing the registry".
    label: &'static str,
    unit: Unit,
    total: Option<u64>,
    position: u64,
    rows: u64,
    started: Instant,
    view: View,
    done: bool,
}

#[derive(Debug)]
enum View {
    Bar {
        bar: ProgressBar,
        next_text: Instant,
    },
    Log(LogTicker),
}

impl Progress {
    /// Starts now: a bar when standard error is a terminal, else log lines every [`LOG_EVERY`].
    /// `total` is the end of the position (the file's size, the rows to come), if known.
    pub fn start(label: &'static str, unit: Unit, total: Option<u64>) -> Self {
        let now = Instant::now();
        if std::io::stderr().is_terminal() {
            Self::with_bar(label, unit, total, now)
        } else {
            Self::logged(label, unit, total, now, LOG_EVERY)
        }
    }

    /// Progress told by log lines, one every `interval` after `started`.
    pub fn logged(
        label: &'static str,
        unit: Unit,
        total: Option<u64>,
        started: Instant,
        interval: Duration,
    ) -> Self {
        Self::new(
            label,
            unit,
            total,
            started,
            View::Log(LogTicker::new(started, interval)),
        )
    }

    fn with_bar(label: &'static str, unit: Unit, total: Option<u64>, started: Instant) -> Self {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let template = match (unit, total) {
            (_, None) => "{spinner} {prefix} {elapsed}: {msg}",
            (Unit::Bytes, Some(_)) => {
                "{prefix} [{wide_bar}] {percent}% of {total_bytes}, {msg}, {eta} left"
            }
            (Unit::Rows, Some(_)) => "{prefix} [{wide_bar}] {percent}%, {msg}, {eta} left",
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(label);
        if total.is_none() {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        show(Some(bar.clone()));
        let view = View::Bar {
            bar,
            next_text: started,
        };
        Self::new(label, unit, total, started, view)
    }

    fn new(
        label: &'static str,
        unit: Unit,
        total: Option<u64>,
        started: Instant,
        view: View,
    ) -> Self {
        Self {
            label,
            unit,
            total,
            position: 0,
            rows: 0,
            started,
            view,
            done: false,
        }
    }

    /// Moves the position on by `by` (bytes or rows, as the unit says) and counts `rows`.
    pub fn advance(&mut self, by: u64, rows: u64) {
        self.advance_at(Instant::now(), by, rows);
    }

    /// [`Progress::advance`] at `now`: the log line logged then, if one was due.
    pub fn advance_at(&mut self, now: Instant, by: u64, rows: u64) -> Option<String> {
        self.position = self.position.saturating_add(by);
        self.rows = self.rows.saturating_add(rows);
        match &mut self.view {
            View::Log(ticker) => {
                if !ticker.due(now) {
                    return None;
                }
                let line = self.line(now);
                tracing::info!("{line}");
                Some(line)
            }
            View::Bar { bar, next_text } => {
                bar.set_position(self.position);
                if now >= *next_text {
                    *next_text = now + BAR_TEXT_EVERY;
                    let elapsed = now.saturating_duration_since(self.started);
                    bar.set_message(format!(
                        "{} rows, {} rows/s",
                        self.rows,
                        per_second(self.rows, elapsed)
                    ));
                }
                None
            }
        }
    }

    /// Rows counted so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Ends with `summary`: the bar is replaced by it, or it is logged.
    pub fn finish(mut self, summary: &str) {
        self.done = true;
        match &self.view {
            View::Bar { bar, .. } => {
                bar.set_style(
                    ProgressStyle::with_template("{msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.finish_with_message(summary.to_owned());
                show(None);
            }
            View::Log(_) => tracing::info!("{summary}"),
        }
    }

    /// The progress line at `now`: rows, rate, and with a total the percentage and time left.
    pub fn line(&self, now: Instant) -> String {
        let elapsed = now.saturating_duration_since(self.started);
        let verb = match self.unit {
            Unit::Bytes => "read",
            Unit::Rows => "written",
        };
        let mut line = format!(
            "{}: {} rows {verb}, {} rows/s",
            self.label,
            self.rows,
            per_second(self.rows, elapsed)
        );
        if let Some(total) = self.total {
            let of = match self.unit {
                Unit::Bytes => format!("{:.1} MB", as_f64(total) / 1e6),
                Unit::Rows => format!("{total} rows"),
            };
            let left = time_left(self.position, total, elapsed)
                .map(|left| format!(", about {} left", seconds(left)))
                .unwrap_or_default();
            line = format!("{line}, {}% of {of}{left}", percent(self.position, total));
        }
        line
    }
}

impl Drop for Progress {
    /// A command that failed leaves its bar where it stopped; its error follows as before.
    fn drop(&mut self) {
        if let View::Bar { bar, .. } = &self.view
            && !self.done
        {
            bar.abandon();
            show(None);
        }
    }
}

/// When the log mode's lines are due: once per interval, the first call at or after each due
/// time (intervals that passed without a call are skipped, not caught up).
#[derive(Debug)]
pub struct LogTicker {
    interval: Duration,
    next: Instant,
}

impl LogTicker {
    pub fn new(started: Instant, interval: Duration) -> Self {
        Self {
            interval,
            next: started + interval,
        }
    }

    /// Whether a line is due at `now`; if so, the next one is due an interval after `now`'s
    /// due time.
    pub fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        while self.next <= now && !self.interval.is_zero() {
            self.next += self.interval;
        }
        true
    }
}

/// An import's file as it is read: bytes for the position, lines (the header's not counted)
/// for the rows.
#[derive(Debug)]
pub struct CountingReader<'p, R> {
    inner: R,
    progress: &'p mut Progress,
    header_pending: bool,
}

impl<'p, R> CountingReader<'p, R> {
    pub fn new(inner: R, progress: &'p mut Progress) -> Self {
        Self {
            inner,
            progress,
            header_pending: true,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for CountingReader<'_, R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let read = &buf.filled()[before..];
            let mut lines = newlines(read);
            if this.header_pending && lines > 0 {
                this.header_pending = false;
                lines -= 1;
            }
            this.progress.advance(read.len() as u64, lines);
        }
        polled
    }
}

/// The newlines in `bytes`.
#[expect(
    clippy::naive_bytecount,
    reason = "the compiler vectorizes this loop; a crate for it is not worth its weight"
)]
fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&byte| byte == b'\n').count() as u64
}

/// An export's sink that counts the rows it writes (the header not counted).
#[derive(Debug)]
pub struct CountingSink<'p, S> {
    inner: S,
    progress: &'p mut Progress,
    header_written: bool,
}

impl<'p, S> CountingSink<'p, S> {
    pub fn new(inner: S, progress: &'p mut Progress) -> Self {
        Self {
            inner,
            progress,
            header_written: false,
        }
    }
}

#[async_trait]
impl<S: ExportSink> ExportSink for CountingSink<'_, S> {
    async fn write_row(&mut self, fields: &[String]) -> Result<(), SinkError> {
        self.inner.write_row(fields).await?;
        if self.header_written {
            self.progress.advance(1, 1);
        } else {
            self.header_written = true;
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), SinkError> {
        self.inner.finish().await
    }
}

/// Seconds with one decimal, for summaries: `68.2`.
pub fn seconds_f(elapsed: Duration) -> String {
    format!("{:.1}", elapsed.as_secs_f64())
}

/// A duration to the second: `42 s`, `3 min 05 s`, `1 h 02 min`.
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}

/// Whole rows per second.
fn per_second(rows: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return 0;
    }
    as_u64(as_f64(rows) / secs)
}

/// Whole percent of `total` done, at most 100.
fn percent(position: u64, total: u64) -> u64 {
    if total == 0 {
        return 100;
    }
    (u128::from(position.min(total)) * 100 / u128::from(total))
        .try_into()
        .unwrap_or(100)
}

/// Time left at the rate so far; unknown before anything is done.
fn time_left(position: u64, total: u64, elapsed: Duration) -> Option<Duration> {
    if position == 0 {
        return None;
    }
    let left = total.saturating_sub(position);
    Some(elapsed.mul_f64(as_f64(left) / as_f64(position)))
}

#[expect(
    clippy::cast_precision_loss,
    reason = "counts for a progress display: 2^52 is far"
)]
fn as_f64(count: u64) -> f64 {
    count as f64
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a non-negative rate for display"
)]
fn as_u64(rate: f64) -> u64 {
    rate.max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn at(started: Instant, secs: u64) -> Instant {
        started + Duration::from_secs(secs)
    }

    #[test]
    fn a_line_is_logged_once_every_interval_and_not_before() {
        let started = Instant::now();
        let mut progress = Progress::logged(
            "importing the registry",
            Unit::Bytes,
            Some(1_000_000),
            started,
            LOG_EVERY,
        );
        assert_eq!(progress.advance_at(at(started, 1), 100_000, 1000), None);
        assert_eq!(progress.advance_at(at(started, 9), 100_000, 1000), None);
        assert_eq!(
            progress.advance_at(at(started, 10), 50_000, 500).unwrap(),
            "importing the registry: 2500 rows read, 250 rows/s, 25% of 1.0 MB, about 30 s left"
        );
        assert_eq!(progress.advance_at(at(started, 15), 0, 0), None);
        assert_eq!(progress.advance_at(at(started, 19), 0, 0), None);
        assert!(progress.advance_at(at(started, 20), 0, 0).is_some());
        // A pause longer than an interval: one line, then the next an interval on.
        assert!(progress.advance_at(at(started, 45), 0, 0).is_some());
        assert_eq!(progress.advance_at(at(started, 49), 0, 0), None);
        assert!(progress.advance_at(at(started, 50), 0, 0).is_some());
    }

    #[test]
    fn the_interval_is_the_callers() {
        let started = Instant::now();
        let mut progress = Progress::logged(
            "exporting readings",
            Unit::Rows,
            None,
            started,
            Duration::from_secs(3),
        );
        assert_eq!(progress.advance_at(at(started, 2), 1, 1), None);
        assert_eq!(
            progress.advance_at(at(started, 3), 2, 2).unwrap(),
            "exporting readings: 3 rows written, 1 rows/s"
        );
    }

    #[test]
    fn a_line_with_a_total_of_rows_says_the_rows_left() {
        let started = Instant::now();
        let mut progress = Progress::logged(
            "exporting readings",
            Unit::Rows,
            Some(4000),
            started,
            LOG_EVERY,
        );
        progress.advance_at(at(started, 5), 1000, 1000);
        assert_eq!(
            progress.line(at(started, 100)),
            "exporting readings: 1000 rows written, 10 rows/s, 25% of 4000 rows, about 5 min 00 s left"
        );
    }

    #[test]
    fn nothing_done_yet_has_no_time_left() {
        let started = Instant::now();
        let progress = Progress::logged("x", Unit::Bytes, Some(10), started, LOG_EVERY);
        assert_eq!(
            progress.line(started),
            "x: 0 rows read, 0 rows/s, 0% of 0.0 MB"
        );
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(seconds(Duration::from_secs(42)), "42 s");
        assert_eq!(seconds(Duration::from_secs(185)), "3 min 05 s");
        assert_eq!(seconds(Duration::from_secs(3720)), "1 h 02 min");
        assert_eq!(seconds_f(Duration::from_millis(68_240)), "68.2");
    }

    #[tokio::test]
    async fn the_reader_counts_bytes_and_rows_but_not_the_header() {
        let text = b"a;b\n1;2\n3;4\n5;6";
        let started = Instant::now();
        let mut progress = Progress::logged("x", Unit::Bytes, Some(15), started, LOG_EVERY);
        let mut read = Vec::new();
        CountingReader::new(&text[..], &mut progress)
            .read_to_end(&mut read)
            .await
            .unwrap();
        assert_eq!(read, text);
        assert_eq!(progress.position, 15);
        assert_eq!(progress.rows(), 2, "the last row has no newline yet");
    }

    #[derive(Debug, Default)]
    struct Rows(Vec<Vec<String>>);

    #[async_trait]
    impl ExportSink for Rows {
        async fn write_row(&mut self, fields: &[String]) -> Result<(), SinkError> {
            if fields.first().is_some_and(|f| f == "bad") {
                return Err(SinkError("full disk".to_owned()));
            }
            self.0.push(fields.to_vec());
            Ok(())
        }

        async fn finish(&mut self) -> Result<(), SinkError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_sink_counts_rows_written_but_not_the_header_nor_a_failed_row() {
        let mut progress = Progress::logged("x", Unit::Rows, None, Instant::now(), LOG_EVERY);
        let mut sink = CountingSink::new(Rows::default(), &mut progress);
        for row in ["header", "one", "two", "bad"] {
            let _ = sink.write_row(&[row.to_owned()]).await;
        }
        sink.finish().await.unwrap();
        assert_eq!(sink.inner.0.len(), 3);
        assert_eq!(progress.rows(), 2);
    }
}
