//! `vodokanal notices plan [--dry-run]`.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use vodokanal_app::UseCases;
use vodokanal_app::notices::Scope;
use vodokanal_app::ports::PlannedNotice;

use crate::error::Error;

/// Plans the notices due at `now` (as `serve` does) and prints how many were new; with
/// `dry_run`, prints each notice that would be planned (subscriber's id, kind, subject,
/// period, channels and when they go) and stores nothing. Already planned notices are among
/// those printed: the store's key keeps them from being planned twice.
pub async fn plan_notices(
    use_cases: &UseCases,
    now: DateTime<Utc>,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let failed =
        |e: vodokanal_app::StoreError| Error::Command(format!("notices could not be planned: {e}"));
    let written = |e: std::io::Error| Error::Command(format!("the report can't be written: {e}"));
    if !dry_run {
        let planned = use_cases
            .plan_notices
            .execute(Scope::All, now)
            .await
            .map_err(failed)?;
        return writeln!(out, "notices planned: {planned}")
            .and_then(|()| out.flush())
            .map_err(written);
    }
    let notices = use_cases
        .plan_notices
        .preview(Scope::All, now)
        .await
        .map_err(failed)?;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for planned in &notices {
        *kinds.entry(planned.notice.kind.code()).or_default() += 1;
        writeln!(out, "{}", line(planned)).map_err(written)?;
    }
    writeln!(out, "at {now}: {} notices would be planned", notices.len()).map_err(written)?;
    for (kind, count) in kinds {
        writeln!(out, "  {kind}: {count}").map_err(written)?;
    }
    out.flush().map_err(written)
}

/// `user kind subject period channel@due ...`: no name, phone or address.
fn line(planned: &PlannedNotice) -> String {
    let channels: Vec<String> = planned
        .deliveries
        .iter()
        .map(|d| {
            format!(
                "{}@{}",
                d.channel.code(),
                d.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        })
        .collect();
    let notice = &planned.notice;
    format!(
        "{} {} {} {} {}",
        planned.user,
        notice.kind.code(),
        notice.subject,
        if notice.period.is_empty() {
            "-"
        } else {
            &notice.period
        },
        channels.join(" ")
    )
}
