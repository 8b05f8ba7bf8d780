//! The playground's JSON API. Every figure it returns comes from the library: the scenario is
//! validated by `load` (with the page's controls as `--set` overrides), run by the same
//! replications as `stagesim run`, and returned as the same `Summary` JSON; the diagram and
//! the charts are rendered from that summary.

use super::controls::{controls, Control};
use super::{diagram, guard, run, Session};
use crate::diag::{Diagnostic, Error};
use crate::model::Model;
use crate::overrides::Overrides;
use crate::summary::Summary;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A design as the page sends it: the editor's text and the controls' overrides.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    pub text: String,
    /// `KEY=VALUE` overrides, as `--set` takes them.
    #[serde(default)]
    pub sets: Vec<String>,
    /// The seed to run at (compare: the pinned design's), else the scenario's.
    #[serde(default)]
    pub seed: Option<u64>,
    /// A simulated duration shorter than the scenario's, e.g. "2m", for quicker updates.
    #[serde(default)]
    pub duration: Option<String>,
    /// The page's id: a newer run from the same page cancels its older one.
    #[serde(default)]
    pub client: String,
    /// For `/api/fault`: `crash`, `region`, `flush` or `spike`.
    #[serde(default)]
    pub fault: Option<String>,
}

/// A diagnostic as the page shows it: placed in the editor by line and column.
#[derive(Debug, Serialize)]
pub struct Located {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub width: usize,
    pub key: String,
    pub message: String,
    pub help: String,
    /// Exactly what the command line prints for it.
    pub rendered: String,
}

impl From<&Diagnostic> for Located {
    fn from(d: &Diagnostic) -> Located {
        Located {
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            width: d.width,
            key: d.key.clone(),
            message: d.message.clone(),
            help: d.help.clone(),
            rendered: d.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Validated {
    pub ok: bool,
    pub diagnostics: Vec<Located>,
    /// An error that is not in the text (a usage error in an override).
    pub error: Option<String>,
    pub controls: Vec<Control>,
    pub diagram: Option<String>,
    pub duration_s: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Ran {
    /// `done`, `cancelled` (a newer design superseded it) or `invalid`.
    pub status: &'static str,
    pub validated: Option<Validated>,
    pub summary: Option<Summary>,
    /// The bottleneck the analysis names (the summary's own, or the busiest component when
    /// nothing is saturated, which `run` leaves out).
    pub bottleneck: Option<crate::analysis::Bottleneck>,
    pub diagram: Option<String>,
    pub charts: Vec<(String, String)>,
    /// The command line that gives the same summary.
    pub command: String,
    pub wall_s: f64,
}

/// The design validated: the model, or the located diagnostics.
pub fn model_of(s: &Session, d: &Design) -> Result<Model, Validated> {
    let fail = |diagnostics: Vec<Located>, error: Option<String>| Validated {
        ok: false,
        diagnostics,
        error,
        controls: controls(&d.text),
        diagram: None,
        duration_s: None,
    };
    let outside = guard::files_outside(&s.file, &d.text, &s.dir, &s.root);
    if !outside.is_empty() {
        return Err(fail(outside.iter().map(Located::from).collect(), None));
    }
    let overrides = Overrides::new(None, &d.sets).map_err(|e| fail(Vec::new(), Some(e.to_string())))?;
    let (mut model, _) = match crate::load::parse_scenario_checked_with(&s.file, &d.text, &overrides) {
        Ok(m) => m,
        Err(Error::Invalid(ds)) => return Err(fail(ds.iter().map(Located::from).collect(), None)),
        Err(e) => return Err(fail(Vec::new(), Some(e.to_string()))),
    };
    let mut opts = crate::runner::RunOptions { seed: d.seed, ..Default::default() };
    if let Some(text) = d.duration.as_deref().filter(|t| !t.is_empty()) {
        let ns = crate::units::parse_duration(text).map_err(|e| fail(Vec::new(), Some(format!("duration: {e}"))))?;
        // Only ever shorter: the scenario's own duration is the longest the page runs.
        opts.duration_ns = Some(ns.clamp(1, model.duration));
    }
    model = crate::runner::apply(&model, &opts);
    crate::budget::check_override(&model, "duration").map_err(|e| fail(Vec::new(), Some(e.to_string())))?;
    Ok(model)
}

pub fn validate(s: &Session, d: &Design) -> Validated {
    match model_of(s, d) {
        Ok(m) => Validated {
            ok: true,
            diagnostics: Vec::new(),
            error: None,
            controls: controls(&d.text),
            diagram: Some(diagram::svg(&m, None)),
            duration_s: Some(m.duration as f64 / 1e9),
        },
        Err(v) => v,
    }
}

/// Validates and runs a design; a newer run from the same page cancels this one.
pub fn run_design(s: &Session, d: &Design) -> Ran {
    let started = Instant::now();
    let mut ran = Ran {
        status: "invalid",
        validated: None,
        summary: None,
        bottleneck: None,
        diagram: None,
        charts: Vec::new(),
        command: command(s, d),
        wall_s: 0.0,
    };
    let model = match model_of(s, d) {
        Ok(m) => m,
        Err(v) => {
            ran.validated = Some(v);
            return ran;
        }
    };
    let cancel = s.supersede(&d.client);
    let summary = run::run_cancellable(&model, &cancel);
    s.finished(&d.client, &cancel);
    let Some(summary) = summary else {
        ran.status = "cancelled";
        return ran;
    };
    let bottleneck = summary.bottleneck.clone().or_else(|| crate::analysis::bottleneck(&model, &summary));
    let hot = bottleneck.as_ref().map(|b| b.component.as_str());
    ran.diagram = Some(diagram::svg(&model, Some((&summary, hot))));
    ran.charts = super::charts::charts(&summary);
    ran.bottleneck = bottleneck;
    ran.summary = Some(summary);
    ran.status = "done";
    ran.wall_s = started.elapsed().as_secs_f64();
    ran
}

/// `stagesim run FILE --set ...`: what gives the same summary from the command line (with the
/// editor's text saved to FILE).
fn command(s: &Session, d: &Design) -> String {
    let mut out = format!("stagesim run {} --format json", s.file);
    for set in &d.sets {
        out.push_str(&format!(" --set {set}"));
    }
    if let Some(seed) = d.seed {
        out.push_str(&format!(" --seed {seed}"));
    }
    if let Some(t) = d.duration.as_deref().filter(|t| !t.is_empty()) {
        out.push_str(&format!(" --duration {t}"));
    }
    out
}

/// A cancel flag per page, so that a new run stops the one it supersedes.
pub fn new_flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

pub fn raise(flag: &AtomicBool) {
    flag.store(true, Ordering::Relaxed);
}
