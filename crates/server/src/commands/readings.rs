//! `vodokanal readings void --meter M --period P --reason TEXT`.

use std::io::Write;

use vodokanal_app::UseCases;
use vodokanal_app::readings::{VoidReadingCommand, VoidReadingError};
use vodokanal_domain::{MeterNumber, Period, VoidReason};

use crate::cli::ReadingsCommand;
use crate::error::Error;

/// Checks the arguments, voids the reading and prints what was voided; a missing reading is
/// an error (exit code 1).
pub async fn readings(
    use_cases: &UseCases,
    command: &ReadingsCommand,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let ReadingsCommand::Void {
        meter,
        period,
        reason,
    } = command;
    let bad = |flag: &str, message: String| Error::Command(format!("{flag}: {message}"));
    let command = VoidReadingCommand {
        meter_number: meter
            .parse::<MeterNumber>()
            .map_err(|e| bad("--meter", format!("{e} (got {meter:?})")))?,
        period: period
            .parse::<Period>()
            .map_err(|e| bad("--period", format!("{e} (got {period:?})")))?,
        reason: reason
            .parse::<VoidReason>()
            .map_err(|e| bad("--reason", e.to_string()))?,
    };
    let voided = use_cases
        .void_reading
        .execute(command)
        .await
        .map_err(|error| match error {
            VoidReadingError::NotFound { .. } => Error::Command(error.to_string()),
            VoidReadingError::Store(e) => {
                Error::Command(format!("the reading could not be voided: {e}"))
            }
        })?;
    writeln!(
        out,
        "voided: meter {} period {} value {} source {}",
        voided.meter_number,
        voided.period,
        voided.value,
        voided.source.code()
    )
    .and_then(|()| out.flush())
    .map_err(|e| Error::Command(format!("the report can't be written: {e}")))
}
