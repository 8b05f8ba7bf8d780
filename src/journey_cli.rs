//! The `journey` command: runs a journey with a progress bar and writes its report.

use crate::diag::Error;
use crate::journey::{load_journey_with, run::run_journey};
use crate::overrides::Overrides;
use crate::report;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub fn journey(
    file: &str,
    out: Option<String>,
    json: bool,
    quiet: bool,
    overrides: &Overrides,
) -> Result<String, Error> {
    let j = load_journey_with(file, overrides)?;
    crate::check::journey::probe(&j)?;
    let gates = j.stages.iter().filter(|s| !s.thresholds.is_empty()).count();
    let points = j.stages.len() * (j.rates.len() + usize::from(j.capacity_search)) + gates;
    let bar = ProgressBar::new(points as u64);
    // Silent when stderr is not a terminal (CI logs) or when asked.
    if quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} points, {elapsed}")
            .expect("static template"),
    );
    bar.set_message(j.name.clone());
    let summary = run_journey(&j, &|| bar.inc(1));
    bar.finish_and_clear();
    let stem = std::path::Path::new(file)
        .parent()
        .and_then(|p| p.file_name())
        .map_or("journey".into(), |s| s.to_string_lossy().into_owned());
    let dir = out.unwrap_or_else(|| format!("reports/{stem}"));
    report::files::write_journey(&dir, &summary).map_err(|source| Error::Io { path: dir.clone(), source })?;
    Ok(if json {
        serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n"
    } else {
        report::journey_text::render(&summary) + &format!("\nreport written to {dir}/\n")
    })
}
