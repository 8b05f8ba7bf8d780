//! The `journey` command: runs a journey with progress and writes its report.

use crate::diag::Error;
use crate::journey::load_journey_with;
use crate::journey::run::{run_journey, Step};
use crate::overrides::Overrides;
use crate::progress::Progress;
use crate::report;

/// Runs the journey and replaces the report in `out` (default `reports/<journey folder>/`)
/// as a whole. A signal stops it with the previous report untouched and says which steps
/// were not finished.
pub fn journey(file: &str, out: Option<String>, json: bool, overrides: &Overrides) -> Result<String, Error> {
    let j = load_journey_with(file, overrides)?;
    let stem = std::path::Path::new(file)
        .parent()
        .and_then(|p| p.file_name())
        .map_or("journey".into(), |s| s.to_string_lossy().into_owned());
    let dir = out.unwrap_or_else(|| format!("reports/{stem}"));
    // Refuse an output directory that cannot take the report before the long work.
    crate::output_file::check_set_target(&dir, &report::files::is_report_file)?;
    crate::check::journey::probe(&j)?;
    let steps: Vec<String> = Step::all(&j).iter().map(|s| s.label(&j)).collect();
    let progress = Progress::items("journey", steps, false);
    let summary = run_journey(&j, &|| {});
    // Before anything is written: a stopped journey's numbers are not a report.
    progress.check_interrupted()?;
    drop(progress);
    report::files::write_journey(&dir, &summary)?;
    Ok(if json {
        serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n"
    } else {
        report::journey_text::render(&summary) + &format!("\nreport written to {dir}/\n")
    })
}
