//! `run --out DIR`: the summary (`summary.json`), its text (`summary.txt`) and a
//! self-contained `report.html` with the same time-series charts a journey report has.

use super::charts;
use super::files::escape;
use crate::diag::Error;
use crate::summary::Summary;
use std::fmt::Write;

/// The files `run --out` writes: a directory holding only these may be replaced.
pub const FILES: &[&str] = &["summary.json", "summary.txt", "report.html"];

/// Writes the set as a whole (`output_file::write_set`): a reader sees the previous run's
/// files or this one's, never a mix.
pub fn write_run(dir: &str, s: &Summary) -> Result<(), Error> {
    let files = vec![
        (FILES[0].to_string(), (serde_json::to_string_pretty(s).expect("serializes") + "\n").into_bytes()),
        (FILES[1].to_string(), super::text::render(s).into_bytes()),
        (FILES[2].to_string(), html(s).into_bytes()),
    ];
    crate::output_file::write_set(dir, &files, &|name| FILES.contains(&name))
}

pub fn html(s: &Summary) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}pre{{font-size:12px}}figure{{margin:1em 0}}</style></head><body>\n",
        escape(&s.scenario)
    );
    let _ = writeln!(o, "<h1>{}</h1>", escape(&s.scenario));
    let _ = writeln!(o, "<pre>{}</pre>", escape(&super::text::render(s)));
    let _ = writeln!(o, "<h2>Time series (replication 1)</h2>");
    for (_, svg) in charts::window_charts(&s.windows) {
        let _ = writeln!(o, "<figure>{svg}</figure>");
    }
    o.push_str("</body></html>\n");
    o
}
