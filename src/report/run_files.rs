//! `run --out DIR`: the summary (`summary.json`), its text (`summary.txt`) and a
//! self-contained `report.html` with the same time-series charts a journey report has.

use super::charts;
use super::files::escape;
use crate::summary::Summary;
use std::fmt::Write;
use std::path::Path;

pub fn write_run(dir: &str, s: &Summary) -> std::io::Result<()> {
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("summary.json"), serde_json::to_string_pretty(s).expect("serializes") + "\n")?;
    std::fs::write(dir.join("summary.txt"), super::text::render(s))?;
    std::fs::write(dir.join("report.html"), html(s))?;
    Ok(())
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
