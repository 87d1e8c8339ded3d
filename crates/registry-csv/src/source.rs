//! [`CsvRegistrySource`]: the billing system's registry, read from CSV row by row.
//!
//! The bytes are split into fields by `csv_core` (the parser of the `csv` crate, fed
//! incrementally from a `tokio` buffered reader), so at most one row and one read buffer are
//! in memory whatever the size of the file. `csv_core` never fails: it prefers *a* parse to
//! none, reading `"ab"c` as `abc` and an unclosed quote as a field running to the end of the
//! file. The registry is money and meters, so this reader checks each row's raw bytes and
//! reports such a row as a `BadRow` instead of guessing; a row longer than
//! [`MAX_ROW_BYTES`] (in practice, an unclosed quote swallowing the lines after it) is
//! reported and skipped up to the end of the physical line where the limit was reached.
//!
//! Line numbers are physical: the header is line 1 (when the file starts with it), every LF
//! counts, including one inside a quoted field, and a row's number is the line it starts on.
//! Blank lines (empty, or spaces and tabs only) are skipped.

use std::fmt;
use std::io;

use async_trait::async_trait;
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use vodokanal_app::ports::{RawRow, RegistrySource, SourceError};
use vodokanal_domain::registry::COLUMNS;

/// The longest row accepted, in bytes. A valid row is well under 1 KiB (the address, the
/// longest field, is at most 300 characters).
pub const MAX_ROW_BYTES: usize = 64 * 1024;

const READ_BUFFER_BYTES: usize = 64 * 1024;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads the registry from any `AsyncRead` (a file, standard input), one row at a time.
///
/// The first non-blank row must be the header, equal to the registry's columns
/// (`account_number;address;…;last_reading_date`, each name trimmed); a missing or different
/// header is a `SourceError::Fatal` and nothing more is read. Each later row is returned with
/// its fields as they are (unquoted, not trimmed), however many there are: checking the number
/// of columns is `RegistryRecord::parse`'s job. A row that is not valid UTF-8 or is badly
/// quoted is a `SourceError::BadRow` and reading goes on; an I/O error is `Fatal`, and after a
/// `Fatal` every call returns `None`.
pub struct CsvRegistrySource<R> {
    input: BufReader<R>,
    parser: Reader,
    /// The physical line of the next unread byte.
    line: u64,
    /// The current row's bytes as read, quotes and terminator included.
    raw: Vec<u8>,
    /// The current row's fields, unquoted, back to back.
    fields: Vec<u8>,
    fields_len: usize,
    /// Where each field of the current row ends in `fields`.
    ends: Vec<usize>,
    ends_len: usize,
    stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Rows,
    Done,
}

/// One row as split, before it is checked.
struct Split {
    line: u64,
    outcome: Result<Vec<String>, String>,
}

impl<R> fmt::Debug for CsvRegistrySource<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvRegistrySource")
            .field("line", &self.line)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

impl<R: AsyncRead + Unpin + Send> CsvRegistrySource<R> {
    pub fn new(input: R) -> Self {
        Self {
            input: BufReader::with_capacity(READ_BUFFER_BYTES, input),
            parser: ReaderBuilder::new().delimiter(b';').quote(b'"').build(),
            line: 1,
            raw: Vec::new(),
            fields: vec![0; 1024],
            fields_len: 0,
            ends: vec![0; 16],
            ends_len: 0,
            stage: Stage::Header,
        }
    }

    /// Reads and checks the header row.
    async fn read_header(&mut self) -> Result<(), SourceError> {
        let Some(split) = self.split_row().await.map_err(|e| io_fatal(&e))? else {
            return Err(SourceError::Fatal(format!(
                "the file is empty: the header row `{}` is missing",
                COLUMNS.join(";")
            )));
        };
        let mut names = split.outcome.map_err(|reason| {
            SourceError::Fatal(format!(
                "line {}: the header row can't be read: {reason}",
                split.line
            ))
        })?;
        if let Some(first) = names.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.to_owned();
        }
        match header_difference(&names) {
            None => Ok(()),
            Some(difference) => Err(SourceError::Fatal(format!(
                "line {}: the header row must be `{}`: {difference}",
                split.line,
                COLUMNS.join(";")
            ))),
        }
    }

    /// Skips line terminators; `false` at the end of the input.
    async fn skip_line_ends(&mut self) -> io::Result<bool> {
        loop {
            let buffer = self.input.fill_buf().await?;
            if buffer.is_empty() {
                return Ok(false);
            }
            let skipped = buffer
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            self.line += count_line_feeds(&buffer[..skipped]);
            let more = skipped < buffer.len();
            self.input.consume(skipped);
            if more {
                return Ok(true);
            }
        }
    }

    /// Discards the input up to and including the next LF (or to the end of the input).
    async fn skip_to_next_line(&mut self) -> io::Result<()> {
        loop {
            let buffer = self.input.fill_buf().await?;
            if buffer.is_empty() {
                self.line += 1;
                return Ok(());
            }
            if let Some(at) = buffer.iter().position(|&b| b == b'\n') {
                self.input.consume(at + 1);
                self.line += 1;
                return Ok(());
            }
            let all = buffer.len();
            self.input.consume(all);
        }
    }

    /// The next non-blank row, split into fields; `None` at the end of the input.
    async fn split_row(&mut self) -> io::Result<Option<Split>> {
        loop {
            if !self.skip_line_ends().await? {
                return Ok(None);
            }
            let line = self.line;
            self.raw.clear();
            self.fields_len = 0;
            self.ends_len = 0;
            loop {
                let buffer = self.input.fill_buf().await?;
                let (result, read, written, ended) = self.parser.read_record(
                    buffer,
                    &mut self.fields[self.fields_len..],
                    &mut self.ends[self.ends_len..],
                );
                self.raw.extend_from_slice(&buffer[..read]);
                self.input.consume(read);
                self.fields_len += written;
                self.ends_len += ended;
                match result {
                    ReadRecordResult::InputEmpty => {}
                    ReadRecordResult::OutputFull => {
                        let grown = self.fields.len() * 2;
                        self.fields.resize(grown, 0);
                    }
                    ReadRecordResult::OutputEndsFull => {
                        let grown = self.ends.len() * 2;
                        self.ends.resize(grown, 0);
                    }
                    ReadRecordResult::Record => break,
                    // Only after the last row, which `skip_line_ends` has already seen.
                    ReadRecordResult::End => return Ok(None),
                }
                if self.raw.len() > MAX_ROW_BYTES {
                    return self.skip_overlong_row(line).await.map(Some);
                }
            }
            self.line += count_line_feeds(&self.raw);
            if is_blank(&self.raw) {
                continue;
            }
            let outcome = if self.raw.len() > MAX_ROW_BYTES {
                Err(format!(
                    "the row is longer than {} KiB",
                    MAX_ROW_BYTES / 1024
                ))
            } else {
                check_quoting(&self.raw).and_then(|()| self.decode_fields())
            };
            return Ok(Some(Split { line, outcome }));
        }
    }

    async fn skip_overlong_row(&mut self, line: u64) -> io::Result<Split> {
        self.line += count_line_feeds(&self.raw);
        self.skip_to_next_line().await?;
        self.parser.reset();
        self.raw.clear();
        let reason = format!(
            "the row is longer than {} KiB (a quote that is never closed?); lines {line} to {} are skipped",
            MAX_ROW_BYTES / 1024,
            self.line - 1
        );
        // Don't keep the memory an overlong row made us take.
        self.raw.shrink_to(READ_BUFFER_BYTES);
        self.fields.truncate(1024);
        self.fields.shrink_to_fit();
        self.ends.truncate(16);
        self.ends.shrink_to_fit();
        Ok(Split {
            line,
            outcome: Err(reason),
        })
    }

    fn decode_fields(&self) -> Result<Vec<String>, String> {
        let mut start = 0;
        self.ends[..self.ends_len]
            .iter()
            .enumerate()
            .map(|(index, &end)| {
                let bytes = &self.fields[start..end];
                start = end;
                std::str::from_utf8(bytes)
                    .map(str::to_owned)
                    .map_err(|_| format!("{} is not valid UTF-8", field_name(index)))
            })
            .collect()
    }
}

#[async_trait]
impl<R: AsyncRead + Unpin + Send> RegistrySource for CsvRegistrySource<R> {
    async fn next_row(&mut self) -> Option<Result<RawRow, SourceError>> {
        match self.stage {
            Stage::Done => return None,
            Stage::Header => {
                if let Err(fatal) = self.read_header().await {
                    self.stage = Stage::Done;
                    return Some(Err(fatal));
                }
                self.stage = Stage::Rows;
            }
            Stage::Rows => {}
        }
        match self.split_row().await {
            Ok(Some(Split {
                line,
                outcome: Ok(fields),
            })) => Some(Ok(RawRow { line, fields })),
            Ok(Some(Split {
                line,
                outcome: Err(reason),
            })) => Some(Err(SourceError::BadRow { line, reason })),
            Ok(None) => {
                self.stage = Stage::Done;
                None
            }
            Err(e) => {
                self.stage = Stage::Done;
                Some(Err(io_fatal(&e)))
            }
        }
    }
}

fn io_fatal(e: &io::Error) -> SourceError {
    SourceError::Fatal(format!("reading failed: {e}"))
}

fn count_line_feeds(bytes: &[u8]) -> u64 {
    bytes.iter().map(|&b| u64::from(b == b'\n')).sum()
}

fn is_blank(raw: &[u8]) -> bool {
    raw.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// "field 2 (address)", or "field 12" past the registry's columns.
fn field_name(index: usize) -> String {
    match COLUMNS.get(index) {
        Some(column) => format!("field {} ({column})", index + 1),
        None => format!("field {}", index + 1),
    }
}

/// Checks the quoting of one row's raw bytes, which `csv_core` would accept whatever it is.
fn check_quoting(raw: &[u8]) -> Result<(), String> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        /// A quote inside a quoted field: the closing one, or the first of a doubled pair.
        QuoteInQuoted,
    }
    let raw = raw.strip_prefix(BOM).unwrap_or(raw);
    let mut state = State::FieldStart;
    let mut index = 0;
    for &b in raw {
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            // An opening quote, a doubled one, or anything inside the quotes.
            (State::FieldStart | State::QuoteInQuoted, b'"') | (State::Quoted, _) => State::Quoted,
            (_, b';') => {
                index += 1;
                State::FieldStart
            }
            // The row's terminator: `csv_core` ends the row there.
            (_, b'\r' | b'\n') => State::FieldStart,
            (State::Unquoted, b'"') => {
                return Err(format!(
                    "{}: a quote inside a field that does not start with one",
                    field_name(index)
                ));
            }
            (State::QuoteInQuoted, _) => {
                return Err(format!(
                    "{}: text after the closing quote",
                    field_name(index)
                ));
            }
            (State::FieldStart | State::Unquoted, _) => State::Unquoted,
        };
    }
    if state == State::Quoted {
        return Err(format!("{}: the quote is never closed", field_name(index)));
    }
    Ok(())
}

/// Compares the header's names (trimmed) with the registry's columns; `None` when they are
/// equal, else what differs.
fn header_difference(names: &[String]) -> Option<String> {
    let mut differences = Vec::new();
    for index in 0..names.len().max(COLUMNS.len()) {
        match (names.get(index).map(|n| n.trim()), COLUMNS.get(index)) {
            (Some(found), Some(expected)) if found == *expected => {}
            (Some(found), Some(expected)) => differences.push(format!(
                "column {} is {found:?} instead of {expected:?}",
                index + 1
            )),
            (None, Some(expected)) => {
                differences.push(format!("column {} ({expected:?}) is missing", index + 1));
            }
            (Some(found), None) => {
                differences.push(format!("column {} ({found:?}) is not expected", index + 1));
            }
            (None, None) => {}
        }
    }
    (!differences.is_empty()).then(|| differences.join("; "))
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::task::{Context, Poll};

    use tokio::io::ReadBuf;
    use vodokanal_domain::RegistryRecord;

    use super::*;
    use crate::encode_row;
    use crate::generator::{RegistryGenerator, write_registry};

    const HEADER: &str = "account_number;address;debt;balance_as_of;meter_number;meter_service;verification_due;last_reading;last_reading_date";

    type Item = Result<RawRow, SourceError>;

    async fn read_all<R: AsyncRead + Unpin + Send>(input: R) -> Vec<Item> {
        let mut source = CsvRegistrySource::new(input);
        let mut items = Vec::new();
        while let Some(item) = source.next_row().await {
            items.push(item);
        }
        // Done stays done.
        assert_eq!(source.next_row().await, None);
        items
    }

    /// Hands out its bytes one at a time, so that every boundary is a buffer boundary.
    struct OneByteAtATime<'a>(&'a [u8]);

    impl AsyncRead for OneByteAtATime<'_> {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if let Some((first, rest)) = this.0.split_first() {
                buf.put_slice(&[*first]);
                this.0 = rest;
            }
            Poll::Ready(Ok(()))
        }
    }

    #[expect(
        clippy::unnecessary_wraps,
        reason = "the rows of the tables are `Item`s"
    )]
    fn ok(line: u64, fields: &[&str]) -> Item {
        Ok(RawRow {
            line,
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        })
    }

    fn bad(line: u64, reason: &str) -> Item {
        Err(SourceError::BadRow {
            line,
            reason: reason.to_owned(),
        })
    }

    fn fatal(message: &str) -> Item {
        Err(SourceError::Fatal(message.to_owned()))
    }

    fn with_header(rows: &str) -> Vec<u8> {
        format!("{HEADER}\n{rows}").into_bytes()
    }

    const FULL: [&str; 9] = [
        "123456",
        "г. Иваново, ул. Лежневская, д. 1",
        "1234.50",
        "2026-10-31",
        "ВСХ-0011234",
        "cold_water",
        "2030-01-15",
        "123.456",
        "2026-10-25",
    ];
    const FULL_LINE: &str = "123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВСХ-0011234;cold_water;2030-01-15;123.456;2026-10-25";
    const NO_METER: [&str; 9] = [
        "654321",
        "Адрес",
        "-10.00",
        "2026-10-31",
        "",
        "",
        "",
        "",
        "",
    ];
    const NO_METER_LINE: &str = "654321;Адрес;-10.00;2026-10-31;;;;;";

    #[expect(clippy::too_many_lines, reason = "one table")]
    fn cases() -> Vec<(&'static str, Vec<u8>, Vec<Item>)> {
        let wrong_header = "the header row must be `account_number;address;debt;balance_as_of;meter_number;meter_service;verification_due;last_reading;last_reading_date`";
        let mut invalid_utf8 = with_header("");
        invalid_utf8.extend_from_slice(b"123456;\xD0\xB0\xFF\xFE;0;2026-10-31;;;;;\n");
        invalid_utf8.extend_from_slice(format!("{NO_METER_LINE}\n").as_bytes());
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&with_header(&format!("{FULL_LINE}\n")));
        vec![
            (
                "plain",
                with_header(&format!("{FULL_LINE}\n{NO_METER_LINE}\n")),
                vec![ok(2, &FULL), ok(3, &NO_METER)],
            ),
            (
                "no newline at the end",
                with_header(&format!("{FULL_LINE}\n{NO_METER_LINE}")),
                vec![ok(2, &FULL), ok(3, &NO_METER)],
            ),
            ("a byte order mark", bom, vec![ok(2, &FULL)]),
            (
                "CRLF",
                format!("{HEADER}\r\n{FULL_LINE}\r\n{NO_METER_LINE}\r\n").into_bytes(),
                vec![ok(2, &FULL), ok(3, &NO_METER)],
            ),
            (
                "a quoted address with a semicolon",
                with_header("1;\"д. 5; корп. 2, кв. 7\";0;2026-10-31;;;;;\n"),
                vec![ok(2, &["1", "д. 5; корп. 2, кв. 7", "0", "2026-10-31", "", "", "", "", ""])],
            ),
            (
                "doubled quotes",
                with_header("1;\"ЖК \"\"Ткацкий\"\"; д. 1\";\"\";\"\"\"\"\n"),
                vec![ok(2, &["1", "ЖК \"Ткацкий\"; д. 1", "", "\""])],
            ),
            (
                "blank lines",
                with_header(&format!("\n{FULL_LINE}\r\n\r\n\n   \t\n{NO_METER_LINE}\n\n")),
                vec![ok(3, &FULL), ok(7, &NO_METER)],
            ),
            (
                "blank lines before the header",
                format!("\n\r\n{HEADER}\n{FULL_LINE}\n").into_bytes(),
                vec![ok(4, &FULL)],
            ),
            (
                "a quoted newline",
                with_header(&format!(
                    "1;\"first\nsecond\r\nthird\";0;2026-10-31;;;;;\n{NO_METER_LINE}\n"
                )),
                vec![
                    ok(2, &["1", "first\nsecond\r\nthird", "0", "2026-10-31", "", "", "", "", ""]),
                    ok(5, &NO_METER),
                ],
            ),
            (
                "invalid UTF-8 in one row",
                invalid_utf8,
                vec![bad(2, "field 2 (address) is not valid UTF-8"), ok(3, &NO_METER)],
            ),
            (
                "broken quoting",
                with_header(&format!(
                    "1;ab\"c;0\n{FULL_LINE}\n1;\"ab\"c;0\n2;\"a\";\"b\" ;3\n{NO_METER_LINE}\n1;2;3;4;5;6;7;8;9;10;11;\"x\"y\n1;\"never closed;0\n{FULL_LINE}\n"
                )),
                vec![
                    bad(2, "field 2 (address): a quote inside a field that does not start with one"),
                    ok(3, &FULL),
                    bad(4, "field 2 (address): text after the closing quote"),
                    bad(5, "field 3 (debt): text after the closing quote"),
                    ok(6, &NO_METER),
                    bad(7, "field 12: text after the closing quote"),
                    bad(8, "field 2 (address): the quote is never closed"),
                ],
            ),
            (
                "any number of fields",
                with_header("1;2;3\n\"\"\n1;2;3;4;5;6;7;8;9;10\n"),
                vec![
                    ok(2, &["1", "2", "3"]),
                    ok(3, &[""]),
                    ok(4, &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]),
                ],
            ),
            (
                "a header with spaces and quotes around the names",
                format!(
                    " account_number ;\"address\";debt ;balance_as_of;meter_number;meter_service;verification_due;last_reading;\"last_reading_date \"\r\n{FULL_LINE}\r\n"
                )
                .into_bytes(),
                vec![ok(2, &FULL)],
            ),
            ("the header only", with_header(""), vec![]),
            ("the header only, without a newline", HEADER.as_bytes().to_vec(), vec![]),
            (
                "a wrong header",
                format!(
                    "account_number;address;dept;balance_as_of;meter_number;meter_service;verification_due;last_reading\n{FULL_LINE}\n"
                )
                .into_bytes(),
                vec![fatal(&format!(
                    "line 1: {wrong_header}: column 3 is \"dept\" instead of \"debt\"; column 9 (\"last_reading_date\") is missing"
                ))],
            ),
            (
                "an extra column in the header",
                format!("{HEADER};comment\n{FULL_LINE}\n").into_bytes(),
                vec![fatal(&format!(
                    "line 1: {wrong_header}: column 10 (\"comment\") is not expected"
                ))],
            ),
            (
                "no header",
                format!("{FULL_LINE}\n").into_bytes(),
                vec![fatal(&format!(
                    "line 1: {wrong_header}: column 1 is \"123456\" instead of \"account_number\"; column 2 is \"г. Иваново, ул. Лежневская, д. 1\" instead of \"address\"; column 3 is \"1234.50\" instead of \"debt\"; column 4 is \"2026-10-31\" instead of \"balance_as_of\"; column 5 is \"ВСХ-0011234\" instead of \"meter_number\"; column 6 is \"cold_water\" instead of \"meter_service\"; column 7 is \"2030-01-15\" instead of \"verification_due\"; column 8 is \"123.456\" instead of \"last_reading\"; column 9 is \"2026-10-25\" instead of \"last_reading_date\""
                ))],
            ),
            (
                "a header that can't be read",
                format!("account_number;\"address\nmore\n{FULL_LINE}\n").into_bytes(),
                vec![fatal("line 1: the header row can't be read: field 2 (address): the quote is never closed")],
            ),
            (
                "an empty file",
                Vec::new(),
                vec![fatal("the file is empty: the header row `account_number;address;debt;balance_as_of;meter_number;meter_service;verification_due;last_reading;last_reading_date` is missing")],
            ),
            (
                "blank lines only",
                b"\r\n\n  \n".to_vec(),
                vec![fatal("the file is empty: the header row `account_number;address;debt;balance_as_of;meter_number;meter_service;verification_due;last_reading;last_reading_date` is missing")],
            ),
        ]
    }

    #[tokio::test]
    async fn reads_the_registry_table() {
        for (name, input, expected) in cases() {
            assert_eq!(read_all(input.as_slice()).await, expected, "{name}");
            assert_eq!(
                read_all(OneByteAtATime(&input)).await,
                expected,
                "{name}, one byte at a time"
            );
        }
    }

    #[tokio::test]
    async fn an_overlong_row_is_reported_and_skipped_to_the_next_line() {
        // An unclosed quote on line 2 would swallow the rest of the file.
        let filler = format!("{}\n", "x".repeat(99));
        let mut input = format!("{HEADER}\n1;\"never closed;0\n");
        for _ in 0..1000 {
            input.push_str(&filler);
        }
        input.push_str(NO_METER_LINE);
        let items = read_all(input.as_bytes()).await;
        let Err(SourceError::BadRow { line: 2, reason }) = &items[0] else {
            panic!("{:?}", items[0]);
        };
        // 64 KiB are reached within the 656th line of filler (line 658), skipped to its end.
        assert_eq!(
            reason,
            "the row is longer than 64 KiB (a quote that is never closed?); lines 2 to 658 are skipped"
        );
        assert_eq!(items[1], ok(659, &["x".repeat(99).as_str()]));
        assert_eq!(items.len(), 1 + (1002 - 658) + 1);
        assert_eq!(items.last(), Some(&ok(1003, &NO_METER)));
    }

    #[tokio::test]
    async fn an_unclosed_quote_on_the_last_line_is_reported() {
        let input = with_header(&format!("1;\"{}", "x".repeat(MAX_ROW_BYTES)));
        let items = read_all(input.as_slice()).await;
        assert_eq!(
            items,
            [bad(
                2,
                "the row is longer than 64 KiB (a quote that is never closed?); lines 2 to 2 are skipped"
            )]
        );
    }

    #[tokio::test]
    async fn a_row_within_the_limit_is_read_and_one_over_it_is_not() {
        let long = "x".repeat(MAX_ROW_BYTES - 10);
        let longer = "x".repeat(MAX_ROW_BYTES);
        let input = with_header(&format!("1;{long}\n1;{longer}\n{NO_METER_LINE}\n"));
        for items in [
            read_all(input.as_slice()).await,
            read_all(OneByteAtATime(&input)).await,
        ] {
            // Summaries, not the rows: a failure must not print 64 KiB.
            let summary: Vec<_> = items
                .iter()
                .map(|item| match item {
                    Ok(row) => (row.line, row.fields.iter().map(String::len).sum::<usize>()),
                    Err(SourceError::BadRow { line, reason }) => {
                        assert!(
                            reason.starts_with("the row is longer than 64 KiB"),
                            "{reason}"
                        );
                        (*line, 0)
                    }
                    Err(fatal) => panic!("{fatal}"),
                })
                .collect();
            assert_eq!(summary, [(2, long.len() + 1), (3, 0), (4, 32)]);
        }
    }

    /// Fails with an I/O error once its bytes are read.
    struct FailsAfter<'a>(&'a [u8]);

    impl AsyncRead for FailsAfter<'_> {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.0.is_empty() {
                return Poll::Ready(Err(io::Error::other("disk on fire")));
            }
            buf.put_slice(this.0);
            this.0 = &[];
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn an_io_error_is_fatal_and_ends_the_rows() {
        let input = with_header(&format!("{FULL_LINE}\n"));
        assert_eq!(
            read_all(FailsAfter(&input)).await,
            vec![ok(2, &FULL), fatal("reading failed: disk on fire")]
        );
        assert_eq!(
            read_all(FailsAfter(b"")).await,
            vec![fatal("reading failed: disk on fire")]
        );
    }

    /// A registry of `limit` bytes or a little more, generated as it is read, counting the
    /// bytes handed out.
    struct GeneratedInput {
        rows: RegistryGenerator,
        chunk: Vec<u8>,
        at: usize,
        limit: u64,
        handed_out: Arc<AtomicU64>,
        rows_made: Arc<AtomicU64>,
    }

    impl AsyncRead for GeneratedInput {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.at == this.chunk.len() {
                this.chunk.clear();
                this.at = 0;
                if this.handed_out.load(Ordering::Relaxed) < this.limit {
                    let row = this.rows.next().unwrap();
                    encode_row(&row, &mut this.chunk);
                    this.rows_made.fetch_add(1, Ordering::Relaxed);
                }
            }
            let n = buf.remaining().min(this.chunk.len() - this.at);
            buf.put_slice(&this.chunk[this.at..this.at + n]);
            this.at += n;
            this.handed_out.fetch_add(n as u64, Ordering::Relaxed);
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn streams_a_50_megabyte_registry() {
        const LIMIT: u64 = 50 * 1024 * 1024;
        let handed_out = Arc::new(AtomicU64::new(0));
        let rows_made = Arc::new(AtomicU64::new(0));
        let mut header = Vec::new();
        encode_row(&COLUMNS, &mut header);
        let header_len = header.len() as u64;
        let input = GeneratedInput {
            rows: RegistryGenerator::new(u64::MAX, 7),
            at: 0,
            chunk: header,
            limit: LIMIT,
            handed_out: Arc::clone(&handed_out),
            rows_made: Arc::clone(&rows_made),
        };
        let mut source = CsvRegistrySource::new(input);
        let buffer = READ_BUFFER_BYTES as u64;

        let first = source.next_row().await.unwrap().unwrap();
        assert_eq!(first.line, 2);
        let read_so_far = handed_out.load(Ordering::Relaxed);
        assert!(
            read_so_far <= buffer,
            "{read_so_far} bytes read for the first row"
        );

        // The bytes of the header and the rows returned so far, as the generator wrote them.
        let mut returned = header_len;
        let mut encoded = Vec::new();
        let mut row = first;
        let mut rows = 0;
        loop {
            rows += 1;
            assert_eq!(row.fields.len(), 9);
            encoded.clear();
            encode_row(&row.fields, &mut encoded);
            returned += encoded.len() as u64;
            // Never more than one read buffer ahead of the rows returned.
            let read = handed_out.load(Ordering::Relaxed);
            assert!(
                read <= returned + buffer,
                "{read} bytes read for {returned}"
            );
            let Some(next) = source.next_row().await else {
                break;
            };
            let next = next.unwrap();
            assert_eq!(next.line, row.line + 1);
            row = next;
        }
        assert_eq!(returned, handed_out.load(Ordering::Relaxed));
        assert!(handed_out.load(Ordering::Relaxed) >= LIMIT);
        assert_eq!(rows, rows_made.load(Ordering::Relaxed));
    }

    #[tokio::test]
    async fn generated_registries_are_valid() {
        let mut file = Vec::new();
        let counts = write_registry(3000, 42, &mut file).unwrap();
        let rows = read_all(file.as_slice()).await;
        assert_eq!(rows.len() as u64, counts.rows);

        let mut meters_of = std::collections::HashMap::<String, u32>::new();
        let (mut with_semicolon, mut with_quotes, mut with_reading, mut meters) = (0, 0, 0, 0);
        for row in rows {
            let row = row.unwrap();
            let record = RegistryRecord::parse(&row.fields).unwrap();
            with_semicolon += u32::from(record.address.contains(';'));
            with_quotes += u32::from(record.address.contains('"'));
            let count = meters_of
                .entry(record.account_number.as_str().to_owned())
                .or_default();
            if let Some(meter) = record.meter {
                *count += 1;
                meters += 1;
                with_reading += u32::from(meter.last_reading.is_some());
            }
        }
        assert_eq!(meters, 3000);
        assert_eq!(counts.meters, 3000);
        assert_eq!(meters_of.len() as u64, counts.accounts);
        assert!(
            (1650..=1950).contains(&meters_of.len()),
            "{} accounts",
            meters_of.len()
        );
        for n in 0..=3 {
            assert!(
                meters_of.values().any(|&m| m == n),
                "no account with {n} meters"
            );
        }
        assert!(meters_of.values().all(|&m| m <= 3));
        assert!(with_semicolon > 50, "{with_semicolon} addresses with ';'");
        assert!(with_quotes > 5, "{with_quotes} addresses with quotes");
        assert!(
            (1200..=1800).contains(&with_reading),
            "{with_reading} last readings"
        );

        let mut again = Vec::new();
        write_registry(3000, 42, &mut again).unwrap();
        assert_eq!(file, again, "the same seed gives the same file");
    }
}
