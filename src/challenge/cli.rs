//! `stagesim challenge FILE DESIGN.toml`: grade a design, print the verdict, write JUnit.
//! Exit codes as `check`: 0 every case passed, 1 one failed, 2 usage, 3 invalid challenge or
//! design, 4 I/O, 5 a limit stopped a run.

use super::{grade_file, load, render_junit, render_text, GradeOptions};
use crate::cli::Format;
use crate::diag::Error;
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct ChallengeArgs {
    /// The challenge file (scenarios/challenges/NAME/challenge.toml).
    pub file: String,
    /// The design to grade (a scenario file); without it, the brief and the starting design
    /// are printed.
    pub design: Option<String>,
    /// Verdict on stdout: text for people, or the JSON verdict.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// The JSON verdict on stdout (same as `--format json`).
    #[arg(long)]
    pub json: bool,
    /// Also write a JUnit XML report to this file.
    #[arg(long)]
    pub junit: Option<String>,
    /// Override the challenge's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications per case (default: the challenge's).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Inconclusive criteria fail their case (with several replications).
    #[arg(long)]
    pub strict: bool,
}

/// What to print, and the exit code.
pub fn execute(a: &ChallengeArgs) -> Result<(String, i32), Error> {
    let ch = load(&a.file)?;
    let Some(design) = &a.design else {
        return Ok((
            format!(
                "{}\n\n{}\n\nStarting design ({}):\n\n{}",
                ch.name, ch.brief, ch.starting_design_file, ch.starting_design
            ),
            0,
        ));
    };
    let replications = match a.replications {
        Some(n) => Some(crate::runner::check_replications(n, "--replications").map_err(Error::Usage)?),
        None => None,
    };
    let opts = GradeOptions { seed: a.seed, replications, duration_ns: None, strict: a.strict };
    let v = grade_file(&ch, design, &opts)?;
    if let Some(path) = &a.junit {
        crate::output_file::write(path, render_junit(&v))?;
    }
    let out = match (a.json, a.format) {
        (true, _) | (_, Format::Json) => serde_json::to_string_pretty(&v).expect("a verdict serializes") + "\n",
        (false, Format::Text) => render_text(&v),
    };
    Ok((out, v.exit_code))
}

/// The whole command: prints and returns the exit code.
pub fn main(a: &ChallengeArgs, color: bool) -> i32 {
    match execute(a) {
        Ok((out, code)) => {
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
            code
        }
        Err(e) => crate::color::print_error(&e, color),
    }
}
