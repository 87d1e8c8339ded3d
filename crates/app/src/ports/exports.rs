use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the export can't be written: {0}")]
pub struct SinkError(pub String);

/// Where an export's rows go: the adapter encodes them (`;`-separated CSV) and writes them out.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ExportSink: std::fmt::Debug + Send {
    async fn write_row(&mut self, fields: &[String]) -> Result<(), SinkError>;
    /// Flushes what was written; called once at the end.
    async fn finish(&mut self) -> Result<(), SinkError>;
}
