//! `vodokanal reconcile-payments`.

use std::io::Write;

use chrono::TimeDelta;
use vodokanal_app::UseCases;
use vodokanal_app::payments::ReconcilePaymentsCommand;

use crate::error::Error;

/// Asks the provider once about every pending payment older than `older_than`, settles what
/// it reports, and prints the counts.
pub async fn reconcile_payments(
    use_cases: &UseCases,
    older_than: TimeDelta,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let report = use_cases
        .reconcile_payments
        .execute(ReconcilePaymentsCommand { older_than })
        .await
        .map_err(|e| Error::Command(format!("payments could not be reconciled: {e}")))?;
    writeln!(
        out,
        "checked: {}\nsucceeded: {}\ncanceled: {}\nstill pending: {}\nfailed: {}",
        report.checked, report.succeeded, report.canceled, report.still_pending, report.failed
    )
    .and_then(|()| out.flush())
    .map_err(|e| Error::Command(format!("the report can't be written: {e}")))
}
