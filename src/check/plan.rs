//! What a check will judge, known before anything runs: each scenario file and journey stage,
//! its thresholds, and its key in the baseline. The gate refuses at once to run when it could
//! only pass by accident: nothing to judge (no thresholds, no baseline), or a baseline with no
//! entry for any of the files (another scenario's baseline, or keys from another layout).

use super::baseline::{self, Baseline};
use super::{journey, scenario_key, CheckOptions};
use crate::diag::{Diagnostic, Error};
use crate::journey::load_journey_with;
use crate::load::parse_scenario_checked_with;
use crate::overrides::Overrides;

/// A scenario file or a journey stage, before it runs.
#[derive(Clone, Debug)]
pub struct Planned {
    /// The file as reports name it (`scenario_key`).
    pub file: String,
    /// For a journey stage: its 1-based index and name.
    pub stage: Option<(usize, String)>,
    pub thresholds: usize,
}

impl Planned {
    /// As progress and reports name it (`ScenarioReport::title`).
    pub fn title(&self) -> String {
        match &self.stage {
            Some((i, name)) => format!("{} stage {i}: {name}", self.file),
            None => self.file.clone(),
        }
    }

    pub fn baseline_key(&self, baseline: &str) -> String {
        baseline::key(baseline, &self.file, self.stage.as_ref().map(|(i, n)| (*i, n.as_str())))
    }
}

/// Loads every file (without running it) into the list of what the check judges.
pub fn plan(files: &[String], overrides: &Overrides) -> Result<Vec<Planned>, Error> {
    let mut out = Vec::new();
    for file in files {
        let key = scenario_key(file);
        if journey::is_journey(file)? {
            let j = load_journey_with(file, overrides)?;
            if j.check_rate.is_none() {
                return Err(journey::no_check_load(&j.file));
            }
            out.extend(j.stages.iter().enumerate().map(|(i, s)| Planned {
                file: key.clone(),
                stage: Some((i + 1, s.name.clone())),
                thresholds: s.thresholds.len(),
            }));
        } else {
            let text = std::fs::read_to_string(file).map_err(|source| Error::Io { path: file.clone(), source })?;
            let (_, set) = parse_scenario_checked_with(file, &text, overrides)?;
            out.push(Planned { file: key, stage: None, thresholds: set.thresholds.len() });
        }
    }
    Ok(out)
}

/// A check with no thresholds and no baseline would print a green "PASS" having judged
/// nothing: an error instead.
pub fn nothing_to_judge(plan: &[Planned], opts: &CheckOptions) -> Result<(), Error> {
    if opts.baseline.is_some() || plan.iter().any(|p| p.thresholds > 0) {
        return Ok(());
    }
    let mut files: Vec<&str> = plan.iter().map(|p| p.file.as_str()).collect();
    files.dedup();
    Err(Error::Usage(format!(
        "nothing to check: {} {} no [thresholds] and no --baseline was given, so the gate could only pass. \
         Add a [thresholds] section (such as `latency = [\"p(99) < 200ms\"]`), or compare with a baseline \
         (`--baseline FILE`, recorded once with `--update-baseline`)",
        files.join(", "),
        if files.len() == 1 { "has" } else { "have" }
    )))
}

/// Comparing with a baseline that has an entry for none of the files compares nothing: an
/// error that names what the baseline holds.
pub fn no_entry_anywhere(path: &str, b: &Baseline, plan: &[Planned]) -> Result<(), Error> {
    let keys: Vec<String> = plan.iter().map(|p| p.baseline_key(path)).collect();
    if keys.iter().any(|k| b.scenarios.contains_key(k)) {
        return Ok(());
    }
    let holds = if b.scenarios.is_empty() {
        "nothing".to_string()
    } else {
        b.scenarios.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let line = text.lines().position(|l| l.contains("\"scenarios\"")).map_or(1, |i| i + 1);
    Err(Error::Invalid(vec![Diagnostic {
        file: path.to_string(),
        line,
        column: 1,
        key: "scenarios".into(),
        message: format!(
            "the baseline has no entry for any of the files checked ({}): nothing would be compared. It holds {holds}",
            keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        ),
        help: "keys are paths relative to the baseline's directory: pass the baseline recorded for these files, \
               or record one with `--update-baseline`"
            .into(),
        source_line: text.lines().nth(line - 1).unwrap_or("").to_string(),
        width: 1,
    }]))
}
