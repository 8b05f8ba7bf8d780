//! Command-line glue for `compare` and `sweep`: reading files, options, output files. The
//! work is in `compare.rs` and `sweep.rs`; the text in `report/`.

use crate::cli::Format;
use crate::diag::Error;
use crate::report;
use clap::Args;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Two scenario files or more; each is compared with the first.
    #[arg(required = true, num_args = 2..)]
    pub files: Vec<String>,
    /// `--load` (the user request rate for every design; default: the scenarios' own, which
    /// must agree) and `--set`, applied to every design.
    #[command(flatten)]
    pub overrides: crate::overrides::OverrideArgs,
    /// Paired replications per design (the same seeds for every design).
    #[arg(long, default_value_t = 5)]
    pub replications: u32,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

// Serializable: a plan records the options its merge renders with.
#[derive(Args, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepArgs {
    pub file: String,
    /// A dotted key, e.g. components.app.instances or load.rate.
    #[arg(long)]
    pub key: String,
    /// The first value: a number, a rate ("600/s"), a duration ("250ms") or a size ("64KiB").
    #[arg(long, allow_hyphen_values = true)]
    pub from: String,
    #[arg(long)]
    pub to: String,
    /// The step, in the same unit (default 1 for plain numbers).
    #[arg(long, conflicts_with = "log")]
    pub step: Option<String>,
    /// Log-spaced values from --from to --to (--points of them) instead of a step.
    #[arg(long)]
    pub log: bool,
    #[arg(long, default_value_t = 8, requires = "log")]
    pub points: u32,
    /// Replications per point (default: the scenario's), for a 95% interval per point.
    #[arg(long)]
    pub replications: Option<u32>,
    /// Also write the sweep (JSON) and its hockey-stick chart (SVG, HTML) here.
    #[arg(long)]
    pub out: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// `--load` and `--set`, applied to every point (not to the swept key).
    #[command(flatten)]
    pub overrides: crate::overrides::OverrideArgs,
    #[command(flatten)]
    #[serde(skip)]
    pub shard: crate::plan::cli::ShardArgs,
}

fn read(file: &str) -> Result<String, Error> {
    crate::load::read_input(file, "scenario")
}

pub fn compare(a: &CompareArgs) -> Result<String, Error> {
    if a.replications == 0 {
        return Err(Error::Usage("--replications must be at least 1".into()));
    }
    let overrides = a.overrides.overrides()?;
    let mut tables = Vec::new();
    let mut designs = Vec::new();
    for f in &a.files {
        let text = read(f)?;
        let model = crate::load::parse_scenario_checked_with(f, &text, &overrides)?.0;
        let table: toml::Table = toml::from_str(&text).map_err(|e| Error::Usage(format!("{f}: {}", e.message())))?;
        tables.push((f.clone(), table));
        designs.push((f.clone(), model));
    }
    crate::compare::same_traffic(&tables, overrides.load().is_some())?;
    let c = crate::compare::compare(&designs, a.replications);
    Ok(match a.format {
        Format::Text => report::compare_text::render(&c),
        Format::Json => serde_json::to_string_pretty(&c).expect("serializes") + "\n",
    })
}

pub fn sweep(a: &SweepArgs) -> Result<String, Error> {
    if let Some(out) = crate::plan::cli::sharded(&a.shard, || crate::plan::sources::sweep_plan(&a.unsharded()))? {
        return Ok(out);
    }
    let models = sweep_models(a)?;
    let labels = models.iter().map(|p| crate::sweep::point_label(&a.key, p.value)).collect();
    let progress = crate::progress::Progress::items("sweep", labels, true);
    let runs = crate::sweep::run_points(&a.key, &models);
    progress.check_interrupted()?;
    sweep_finish(a, &models, runs)
}

impl SweepArgs {
    /// The options without `--shard`/`--part`: what a plan records.
    pub fn unsharded(&self) -> SweepArgs {
        SweepArgs { shard: Default::default(), ..self.clone() }
    }
}

/// Every point's model (with its value as written), from the options: what a sweep runs,
/// and what a plan's shards and merge rebuild.
pub fn sweep_models(a: &SweepArgs) -> Result<Vec<crate::sweep::PointModel>, Error> {
    let range = crate::sweep::Range {
        from: a.from.clone(),
        to: a.to.clone(),
        step: a.step.clone(),
        log_points: a.log.then_some(a.points),
    };
    if a.replications == Some(0) {
        return Err(Error::Usage("--replications must be at least 1".into()));
    }
    let text = read(&a.file)?;
    let (_, unit) = crate::sweep::parse_value(&a.from).map_err(|e| Error::Usage(format!("--from: {e}")))?;
    crate::sweep::check_key(&text, &a.key, unit).map_err(Error::Usage)?;
    let (values, unit) = crate::sweep::range_values(&range).map_err(Error::Usage)?;
    if let Some(dir) = &a.out {
        crate::output_file::check_set_target(dir, &|n| report::sweep_chart::FILES.contains(&n))?;
    }
    crate::sweep::point_models(&a.file, &text, &a.key, &values, unit, a.replications, &a.overrides.overrides()?)
}

/// The sweep from every point's replications (in replication order): its knee, files and
/// output. The unsharded sweep and a merge of its plan both end here.
pub fn sweep_finish(
    a: &SweepArgs,
    models: &[crate::sweep::PointModel],
    runs: Vec<Vec<crate::summary::RunFacts>>,
) -> Result<String, Error> {
    let (_, unit) = crate::sweep::parse_value(&a.from).map_err(|e| Error::Usage(format!("--from: {e}")))?;
    let s = crate::sweep::assemble(&a.key, unit, models, &runs);
    if let Some(dir) = &a.out {
        report::sweep_chart::write_sweep(dir, &s)?;
    }
    Ok(match a.format {
        Format::Text => report::sweep_text::render(&s),
        Format::Json => {
            serde_json::to_string_pretty(&s).expect("serializes")
                + "
"
        }
    })
}
