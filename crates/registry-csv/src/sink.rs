//! [`CsvExportSink`]: an export's rows written as `;`-separated CSV.

use std::fmt;

use async_trait::async_trait;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use vodokanal_app::ports::{ExportSink, SinkError};

use crate::encode::{defuse, encode_row};

const WRITE_BUFFER_BYTES: usize = 64 * 1024;
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Writes an export's rows to any `AsyncWrite` (standard output, a file) through a buffer:
/// UTF-8 without a byte order mark, `;` between fields, a field quoted only when it contains
/// `;`, `"`, CR or LF, a field a spreadsheet would run as a formula prefixed with `'`
/// ([`defuse`]), every line ended by `\n` (see the crate's conventions). Nothing is
/// guaranteed to have reached the writer before [`ExportSink::finish`] returns `Ok`.
pub struct CsvExportSink<W> {
    output: BufWriter<W>,
    row: Vec<u8>,
    /// A byte order mark is still to be written before the first row.
    pending_bom: bool,
}

impl<W> fmt::Debug for CsvExportSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvExportSink").finish_non_exhaustive()
    }
}

impl<W: AsyncWrite + Unpin + Send> CsvExportSink<W> {
    pub fn new(output: W) -> Self {
        Self {
            output: BufWriter::with_capacity(WRITE_BUFFER_BYTES, output),
            row: Vec::new(),
            pending_bom: false,
        }
    }

    /// The same, with a UTF-8 byte order mark before the first row: for a file a subscriber
    /// opens in a spreadsheet (Excel takes a file without one for the local code page).
    pub fn with_byte_order_mark(output: W) -> Self {
        let mut sink = Self::new(output);
        sink.pending_bom = true;
        sink
    }

    /// The writer back; what is still buffered is lost unless `finish` was called.
    pub fn into_inner(self) -> W {
        self.output.into_inner()
    }
}

#[async_trait]
impl<W: AsyncWrite + Unpin + Send> ExportSink for CsvExportSink<W> {
    /// Writes one row. A row without fields is refused: it would be a blank line, which
    /// readers skip.
    async fn write_row(&mut self, fields: &[String]) -> Result<(), SinkError> {
        if fields.is_empty() {
            return Err(SinkError(
                "a row without fields can't be written".to_owned(),
            ));
        }
        self.row.clear();
        if std::mem::take(&mut self.pending_bom) {
            self.row.extend_from_slice(BYTE_ORDER_MARK);
        }
        let defused: Vec<_> = fields.iter().map(|field| defuse(field)).collect();
        encode_row(&defused, &mut self.row);
        self.output
            .write_all(&self.row)
            .await
            .map_err(|e| write_failed(&e))
    }

    async fn finish(&mut self) -> Result<(), SinkError> {
        self.output.flush().await.map_err(|e| write_failed(&e))
    }
}

fn write_failed(e: &std::io::Error) -> SinkError {
    SinkError(format!("writing failed: {e}"))
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use vodokanal_app::ports::{RawRow, RegistrySource};
    use vodokanal_domain::registry::COLUMNS;

    use super::*;
    use crate::CsvRegistrySource;

    fn row(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|f| (*f).to_owned()).collect()
    }

    async fn written(rows: &[Vec<String>]) -> Vec<u8> {
        let mut sink = CsvExportSink::new(Vec::new());
        for fields in rows {
            sink.write_row(fields).await.unwrap();
        }
        sink.finish().await.unwrap();
        sink.into_inner()
    }

    #[tokio::test]
    async fn writes_semicolon_separated_rows_quoting_only_when_needed() {
        let rows = [
            row(&["id", "account_number", "value"]),
            row(&["1", "123456", "123.456"]),
            row(&["2", "г. Иваново; корп. 2", "ЖК \"Ткацкий\""]),
            row(&["3", "two\nlines", "crlf\r\n"]),
            row(&["4", "", " spaces "]),
        ];
        let expected = "id;account_number;value\n\
                        1;123456;123.456\n\
                        2;\"г. Иваново; корп. 2\";\"ЖК \"\"Ткацкий\"\"\"\n\
                        3;\"two\nlines\";\"crlf\r\n\"\n\
                        4;; spaces \n";
        let bytes = written(&rows).await;
        assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "no byte order mark");
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }

    #[tokio::test]
    async fn a_formula_is_written_as_text_and_a_negative_amount_as_a_number() {
        let rows = [row(&[
            "=1+2",
            "-150.50",
            "+79109845003",
            "@SUM(A1:A9)",
            "\t-1",
            "Иванов; =1",
        ])];
        let expected = "'=1+2;-150.50;'+79109845003;\
                        '@SUM(A1:A9);'\t-1;\"Иванов; =1\"\n";
        let bytes = written(&rows).await;
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }

    #[tokio::test]
    async fn a_file_for_a_spreadsheet_starts_with_one_byte_order_mark() {
        let mut sink = CsvExportSink::with_byte_order_mark(Vec::new());
        sink.write_row(&row(&["Дата", "Сумма"])).await.unwrap();
        sink.write_row(&row(&["07.12.2026", "1,50"])).await.unwrap();
        sink.finish().await.unwrap();
        let bytes = sink.into_inner();
        assert_eq!(bytes, "\u{feff}Дата;Сумма\n07.12.2026;1,50\n".as_bytes());
    }

    #[tokio::test]
    async fn a_row_without_fields_is_refused() {
        let mut sink = CsvExportSink::new(Vec::new());
        assert_eq!(
            sink.write_row(&[]).await,
            Err(SinkError(
                "a row without fields can't be written".to_owned()
            ))
        );
    }

    /// Accepts nothing.
    struct Broken;

    impl AsyncWrite for Broken {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Err(io::Error::other("disk full")))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_write_error_comes_back_at_the_latest_from_finish() {
        let mut sink = CsvExportSink::new(Broken);
        // Buffered: the first row fits in the buffer.
        sink.write_row(&row(&["1", "2"])).await.unwrap();
        assert_eq!(
            sink.finish().await,
            Err(SinkError("writing failed: disk full".to_owned()))
        );
    }

    #[tokio::test]
    async fn the_registry_reader_reads_back_what_the_sink_wrote() {
        let header = row(&COLUMNS);
        let rows = [
            row(&[
                "123456",
                "г. Иваново, ул. Лежневская, д. 1",
                "1234.50",
                "2026-10-31",
                "ВСХ-0011234",
                "cold_water",
                "",
                "123.456",
                "2026-10-25",
            ]),
            row(&[
                "1",
                "д. 5; корп. 2",
                "\"",
                "\"\"",
                ";",
                "a\nb",
                "a\r\nb",
                "\r",
                " x ",
            ]),
            row(&["1", "2", "3"]),
            row(&[""]),
            row(&["   "]),
            row(&["", "", ""]),
            row(&["Ё", "ё;ё", "\u{feff}", "", "", "", "", "", "last"]),
        ];
        let mut all = vec![header];
        all.extend(rows.iter().cloned());
        let bytes = written(&all).await;

        let mut source = CsvRegistrySource::new(bytes.as_slice());
        let mut read = Vec::new();
        while let Some(item) = source.next_row().await {
            read.push(item.unwrap());
        }
        let fields: Vec<Vec<String>> = read.iter().map(|r| r.fields.clone()).collect();
        // Every field comes back, the lone CR defused as a formula would be.
        let mut expected = rows.to_vec();
        expected[1][7] = "'\r".to_owned();
        assert_eq!(fields, expected);
        // Line numbers count the newlines inside quoted fields.
        let lines: Vec<u64> = read.iter().map(|r: &RawRow| r.line).collect();
        assert_eq!(lines, [2, 3, 6, 7, 8, 9, 10]);
    }
}
