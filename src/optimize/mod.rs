//! `stagesim optimize`: the cheapest design of a design space that meets its constraints
//! on every replay.
//!
//! Small spaces are searched exhaustively; large ones by successive halving on common
//! random numbers: every design runs short (a fraction of the duration, the same seeds),
//! a third go on to a longer run, and so on up to the full length. Designs proven to fail
//! by more than a margin are dropped at each rung; the others are ranked front by front
//! (cost against P99), so a design on the current Pareto front always goes on.
//!
//! Monotonicity, stated and used: more of a monotone dimension (instances, replicas,
//! servers, connections, workers, cache capacity, autoscaling bounds) never raises P99 or
//! the error ratio, nor lowers throughput. So when a design fails a latency, error or
//! throughput constraint, every design with at most as much of each monotone dimension
//! (and the same other values) fails too, and is pruned without running. Runs go in waves
//! that bisect each family toward its boundary so that failures prune as much as they can.

pub mod cli;
pub mod eval;
pub mod search;
pub mod space;

use crate::check::evaluate::{Estimate, Outcome};
use crate::diag::Error;
use eval::{evaluate, Eval, Fidelity, ReplayEval, Status};
use rayon::prelude::*;
use search::{Lattice, Point};
use serde::Serialize;
use space::{coords, Method, Space};

/// The version of the JSON output; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// What happened to one design.
#[derive(Clone, Debug)]
pub enum Fate {
    /// Ran at the full length (the last rung).
    Final,
    /// Not run: a design with at least as much of every monotone dimension failed.
    Pruned { rung: usize, by: usize },
    /// Failed a constraint by more than the margin at this rung.
    Screened { rung: usize },
    /// Ranked below the survivors at this rung.
    RankedOut { rung: usize },
    /// Its values do not make a valid scenario together.
    Invalid,
}

/// The search's state: per design, its last evaluation and its fate.
pub struct Search<'a> {
    pub space: &'a Space,
    pub lattice: Lattice,
    pub evals: Vec<Option<Eval>>,
    pub fates: Vec<Option<Fate>>,
    pub rungs: Vec<RungReport>,
    /// Simulations run (designs x replays x replications, warm-up pilots excluded).
    pub runs: u64,
    /// The same, each run weighted by its fraction of the full length.
    pub full_length_runs: f64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RungReport {
    /// The fraction of each replay's duration a run lasts (1 at the last rung).
    pub length: f64,
    pub replications: u32,
    pub candidates: usize,
    pub evaluated: usize,
    pub pruned: usize,
    /// Failed a constraint (before the last rung: by more than the screening margin).
    pub screened_out: usize,
    pub ranked_out: usize,
}

/// Options from the command line that override the file's `[search]`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub method: Option<Method>,
    pub prune: Option<bool>,
}

fn lattice(space: &Space) -> Lattice {
    let ranks_of: Vec<Vec<usize>> = space
        .dimensions
        .iter()
        .map(|d| {
            let mut order: Vec<usize> = (0..d.values.len()).collect();
            if d.monotone {
                order.sort_by(|a, b| d.values[*a].1.unwrap_or(0.0).total_cmp(&d.values[*b].1.unwrap_or(0.0)));
            }
            let mut rank = vec![0; d.values.len()];
            for (r, i) in order.iter().enumerate() {
                rank[*i] = r;
            }
            rank
        })
        .collect();
    let ranks = (0..space.designs)
        .map(|id| coords(space, id).iter().enumerate().map(|(i, c)| ranks_of[i][*c]).collect())
        .collect();
    Lattice { ranks, monotone: space.dimensions.iter().map(|d| d.monotone).collect() }
}

impl<'a> Search<'a> {
    pub fn new(space: &'a Space) -> Search<'a> {
        Search {
            space,
            lattice: lattice(space),
            evals: vec![None; space.designs],
            fates: vec![None; space.designs],
            rungs: Vec::new(),
            runs: 0,
            full_length_runs: 0.0,
        }
    }

    fn run_all(&mut self, ids: &[usize], fid: Fidelity) {
        let space = self.space;
        let done: Vec<Eval> = ids.par_iter().map(|id| evaluate(space, &coords(space, *id), fid)).collect();
        for (id, e) in ids.iter().zip(done) {
            if e.invalid.is_none() {
                let n = (space.replays.len() as u64) * u64::from(fid.replications);
                self.runs += n;
                self.full_length_runs += n as f64 / fid.shrink as f64;
            }
            self.evals[*id] = Some(e);
        }
    }

    /// Runs `candidates` at `fid`, in waves when pruning; returns the ids that ran validly
    /// and were not screened out (`margin`), and fills the rung's counts.
    fn rung(&mut self, k: usize, candidates: &[usize], fid: Fidelity, prune: bool, margin: f64) -> Vec<usize> {
        let mut unknown: Vec<usize> = candidates.to_vec();
        let mut passed: Vec<usize> = Vec::new();
        let mut alive = Vec::new();
        let (mut evaluated, mut pruned, mut screened) = (0, 0, 0);
        while !unknown.is_empty() && !crate::progress::stop_requested() {
            let wave = if prune { self.lattice.wave(&unknown, &passed) } else { unknown.clone() };
            self.run_all(&wave, fid);
            evaluated += wave.len();
            unknown.retain(|d| !wave.contains(d));
            for &d in &wave {
                let e = self.evals[d].as_ref().expect("just ran");
                if e.invalid.is_some() {
                    self.fates[d] = Some(Fate::Invalid);
                    continue;
                }
                match e.screened(margin) {
                    None => {
                        passed.push(d);
                        alive.push(d);
                    }
                    Some(monotone) => {
                        screened += 1;
                        self.fates[d] = Some(Fate::Screened { rung: k });
                        if monotone && prune {
                            let below: Vec<usize> =
                                unknown.iter().copied().filter(|u| self.lattice.below(*u, d)).collect();
                            pruned += below.len();
                            for u in &below {
                                self.fates[*u] = Some(Fate::Pruned { rung: k, by: d });
                            }
                            unknown.retain(|u| !below.contains(u));
                        }
                    }
                }
            }
        }
        alive.sort_unstable();
        self.rungs.push(RungReport {
            length: 1.0 / fid.shrink as f64,
            replications: fid.replications,
            candidates: candidates.len(),
            evaluated,
            pruned,
            screened_out: screened,
            ranked_out: 0,
        });
        alive
    }

    fn point(&self, id: usize) -> Point {
        let e = self.evals[id].as_ref().expect("evaluated");
        Point { id, cost: e.cost(self.space.objective_replay).mean, p99: e.worst_p99().0.mean }
    }

    /// The whole search; the design ids that ran at the full length.
    pub fn run(&mut self, opts: &Options) -> Vec<usize> {
        let s = &self.space.search;
        let method = opts.method.unwrap_or(s.method);
        let prune = opts.prune.unwrap_or(s.prune);
        let rungs = if method == Method::Exhaustive { 1 } else { s.rungs as usize };
        let mut candidates: Vec<usize> = (0..self.space.designs).collect();
        for k in 0..rungs {
            let last = k + 1 == rungs;
            let shrink = (s.eta as u64).pow((rungs - 1 - k) as u32);
            let fid = Fidelity { shrink, replications: s.replications };
            let alive = self.rung(k, &candidates, fid, prune, if last { 0.0 } else { s.screen_margin });
            if last {
                for id in &alive {
                    self.fates[*id] = Some(Fate::Final);
                }
                // Designs that ran validly but failed are final too: they ran at full length.
                return candidates
                    .iter()
                    .copied()
                    .filter(|d| {
                        matches!(self.fates[*d], Some(Fate::Final | Fate::Screened { .. }))
                            && self.evals[*d].as_ref().is_some_and(|e| e.fidelity == fid)
                    })
                    .collect();
            }
            let points: Vec<Point> = alive.iter().map(|d| self.point(*d)).collect();
            let keep = search::select(&points, search::quota(candidates.len(), s.eta));
            for d in alive.iter().filter(|d| !keep.contains(d)) {
                self.fates[*d] = Some(Fate::RankedOut { rung: k });
            }
            self.rungs[k].ranked_out = alive.len() - keep.len();
            candidates = keep;
        }
        Vec::new()
    }
}

/// One design as the output shows it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct DesignReport {
    pub id: usize,
    /// `components.app.instances = 4, components.app.instance_type = "m5.large"`.
    pub label: String,
    pub values: Vec<KeyValue>,
    pub status: Status,
    /// The fraction of each replay's duration and the replications of its last evaluation.
    pub length: f64,
    pub replications: u32,
    pub cost_usd_per_month: Estimate,
    /// The worst replay's P99 (by mean), with its 95% interval over replications.
    pub latency_s_p99: Estimate,
    pub worst_replay: String,
    /// The bottleneck on the worst replay.
    pub bottleneck: Option<crate::analysis::Bottleneck>,
    pub replays: Vec<ReplayEval>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// A constraint the next cheaper design misses, and by how much.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Miss {
    pub replay: String,
    pub constraint: String,
    pub outcome: Outcome,
    pub message: String,
    /// How far the mean lies past the limit, as a fraction of it (0.15: 15% over); absent
    /// when there is no such number (a run a limit stopped).
    pub excess_ratio: Option<f64>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct NextCheaper {
    pub design: DesignReport,
    pub misses: Vec<Miss>,
}

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub total: usize,
    /// Ran at least once.
    pub evaluated: usize,
    /// Never ran: ruled out by monotonicity.
    pub pruned: usize,
    pub screened_out: usize,
    pub ranked_out: usize,
    pub invalid: usize,
    pub at_full_length: usize,
    pub feasible: usize,
    pub inconclusive: usize,
    /// Simulations run: designs x replays x replications, over every rung.
    pub runs: u64,
    /// The same in full-length runs (a run of a third of the length counts a third): the
    /// work done, comparable between methods.
    pub full_length_runs: f64,
}

/// The result of `stagesim optimize`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Optimization {
    /// The version of this JSON contract (`SCHEMA_VERSION`).
    pub schema_version: u32,
    pub name: String,
    pub space: String,
    pub scenario: String,
    /// `exhaustive` or `successive_halving`.
    pub method: String,
    pub pruning: bool,
    pub replays: Vec<String>,
    /// `cost.usd_per_month`, on the named replay.
    pub objective: String,
    /// The monotonicity assumed, in words, and the dimensions it covers.
    pub monotonicity: String,
    pub monotone_dimensions: Vec<String>,
    pub designs: Counts,
    pub rungs: Vec<RungReport>,
    /// The cheapest feasible design (ties: the lower P99, then the first).
    pub winner: Option<DesignReport>,
    /// The most expensive evaluated design cheaper than the winner, run at full length, and
    /// what it misses.
    pub next_cheaper: Option<NextCheaper>,
    /// The feasible designs no other beats on both cost and P99, by cost.
    pub front: Vec<DesignReport>,
}

impl Search<'_> {
    fn report(&self, id: usize) -> DesignReport {
        let e = self.evals[id].as_ref().expect("evaluated");
        let (p99, worst) = e.worst_p99();
        let values: Vec<KeyValue> = self
            .space
            .dimensions
            .iter()
            .zip(coords(self.space, id))
            .map(|(d, i)| KeyValue { key: d.key.clone(), value: d.values[i].0.clone() })
            .collect();
        let label = values.iter().map(|kv| format!("{} = {}", kv.key, kv.value)).collect::<Vec<_>>().join(", ");
        DesignReport {
            id,
            label,
            values,
            status: e.status(),
            length: 1.0 / e.fidelity.shrink as f64,
            replications: e.fidelity.replications,
            cost_usd_per_month: e.cost(self.space.objective_replay),
            latency_s_p99: p99,
            bottleneck: e.replays.iter().find(|r| r.replay == worst).and_then(|r| r.bottleneck.clone()),
            worst_replay: worst,
            replays: e.replays.clone(),
        }
    }

    fn full_fidelity(&self) -> Fidelity {
        Fidelity { shrink: 1, replications: self.space.search.replications }
    }

    /// The winner among `finals` (feasible, cheapest), and the next cheaper evaluated design
    /// run at full length. A next cheaper design that turns out feasible at full length
    /// becomes the winner, and the step repeats (each extra run is counted).
    fn winner(&mut self, finals: &mut Vec<usize>) -> (Option<usize>, Option<usize>) {
        loop {
            let feasible: Vec<Point> = finals
                .iter()
                .filter(|d| self.evals[**d].as_ref().is_some_and(|e| e.status() == Status::Feasible))
                .map(|d| self.point(*d))
                .collect();
            let Some(best) = feasible
                .iter()
                .min_by(|a, b| a.cost.total_cmp(&b.cost).then(a.p99.total_cmp(&b.p99)).then(a.id.cmp(&b.id)))
            else {
                return (None, None);
            };
            let best = *best;
            let cheaper = (0..self.space.designs)
                .filter(|d| self.evals[*d].as_ref().is_some_and(|e| e.invalid.is_none()))
                .map(|d| self.point(d))
                .filter(|p| p.cost < best.cost)
                .max_by(|a, b| a.cost.total_cmp(&b.cost).then(b.id.cmp(&a.id)));
            let Some(next) = cheaper else { return (Some(best.id), None) };
            let full = self.full_fidelity();
            if self.evals[next.id].as_ref().is_some_and(|e| e.fidelity != full) {
                self.run_all(&[next.id], full);
                self.fates[next.id] = Some(Fate::Final);
                finals.push(next.id);
                finals.sort_unstable();
                if self.evals[next.id].as_ref().is_some_and(|e| e.status() == Status::Feasible) {
                    continue;
                }
            }
            return (Some(best.id), Some(next.id));
        }
    }

    fn misses(&self, id: usize) -> Vec<Miss> {
        let e = self.evals[id].as_ref().expect("evaluated");
        let mut out: Vec<Miss> = Vec::new();
        for r in &e.replays {
            for v in r.constraints.iter().filter(|v| v.outcome != Outcome::Pass) {
                out.push(Miss {
                    replay: r.replay.clone(),
                    constraint: v.name.clone(),
                    outcome: v.outcome,
                    message: v.message.clone(),
                    excess_ratio: Some(eval::excess(v)).filter(|x| x.is_finite()),
                });
            }
            if r.partial {
                let message = "a limit stopped a run: raise [limits] or shorten the scenario".to_string();
                out.push(Miss {
                    replay: r.replay.clone(),
                    constraint: "limits".into(),
                    outcome: Outcome::Fail,
                    message,
                    excess_ratio: None,
                });
            }
        }
        out
    }
}

/// Runs the search over a loaded space.
pub fn optimize(space: &Space, opts: &Options) -> Result<Optimization, Error> {
    let mut s = Search::new(space);
    let mut finals = s.run(opts);
    let (winner, next) = s.winner(&mut finals);
    let total = space.designs;
    if let Some(e) = crate::progress::interrupted(vec![format!("{}: the search", space.file)], 1) {
        return Err(e);
    }
    let feasible: Vec<Point> = finals
        .iter()
        .filter(|d| s.evals[**d].as_ref().is_some_and(|e| e.status() == Status::Feasible))
        .map(|d| s.point(*d))
        .collect();
    let front = search::pareto_front(&feasible).into_iter().map(|d| s.report(d)).collect();
    let count = |f: &dyn Fn(&Fate) -> bool| s.fates.iter().filter(|x| x.as_ref().is_some_and(f)).count();
    let status_count =
        |st: Status| finals.iter().filter(|d| s.evals[**d].as_ref().is_some_and(|e| e.status() == st)).count();
    let designs = Counts {
        total,
        evaluated: s.evals.iter().filter(|e| e.is_some()).count(),
        pruned: count(&|f| matches!(f, Fate::Pruned { .. })),
        screened_out: count(&|f| matches!(f, Fate::Screened { rung } if *rung + 1 < s.rungs.len())),
        ranked_out: count(&|f| matches!(f, Fate::RankedOut { .. })),
        invalid: count(&|f| matches!(f, Fate::Invalid)),
        at_full_length: finals.len(),
        feasible: status_count(Status::Feasible),
        inconclusive: status_count(Status::Inconclusive),
        runs: s.runs,
        full_length_runs: s.full_length_runs,
    };
    let monotone: Vec<String> = space.dimensions.iter().filter(|d| d.monotone).map(|d| d.key.clone()).collect();
    let method = opts.method.unwrap_or(space.search.method);
    Ok(Optimization {
        schema_version: SCHEMA_VERSION,
        name: space.name.clone(),
        space: space.file.clone(),
        scenario: space.scenario_file.clone(),
        method: match method {
            Method::Exhaustive => "exhaustive".into(),
            Method::Halving => "successive_halving".into(),
        },
        pruning: opts.prune.unwrap_or(space.search.prune) && !monotone.is_empty(),
        replays: space.replays.iter().map(|r| r.name.clone()).collect(),
        objective: format!("cost.usd_per_month on replay `{}`", space.replays[space.objective_replay].name),
        monotonicity: MONOTONICITY.into(),
        monotone_dimensions: monotone,
        designs,
        rungs: s.rungs.clone(),
        winner: winner.map(|d| s.report(d)),
        next_cheaper: next.map(|d| NextCheaper { design: s.report(d), misses: s.misses(d) }),
        front,
    })
}

/// The assumption pruning rests on, as the output states it.
pub const MONOTONICITY: &str = "more of a monotone dimension (with every other value equal) never raises P99 or the error ratio and never lowers throughput; so a design that fails such a constraint rules out every design with at most as much of each monotone dimension, without running it";

/// The winning design as a scenario file: the base scenario with the design's values set.
pub fn winner_scenario(space: &Space, d: &DesignReport) -> Result<String, Error> {
    let mut doc: toml::Table = toml::from_str(&space.scenario_text)
        .map_err(|e| Error::Usage(format!("{}: {}", space.scenario_file, e.message())))?;
    let common = space.sets.iter().map(|(k, v)| KeyValue { key: k.clone(), value: v.clone() });
    for kv in common.chain(d.values.iter().cloned()) {
        let parsed: toml::Table = toml::from_str(&format!("v = {}", kv.value))
            .map_err(|e| Error::Usage(format!("{} = {}: {}", kv.key, kv.value, e.message())))?;
        let parts: Vec<&str> = kv.key.split('.').collect();
        let (last, head) = parts.split_last().expect("a key");
        let mut cur = &mut doc;
        for p in head {
            cur = cur
                .entry(p.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| Error::Usage(format!("`{}` is not a table in the scenario", kv.key)))?;
        }
        cur.insert(last.to_string(), parsed["v"].clone());
    }
    let body = toml::to_string(&doc).expect("a table serializes");
    let head = format!(
        "# The cheapest design of `{}` meeting its constraints (stagesim optimize):\n# {}\n# cost {:.2} USD/month, P99 {} on `{}`. Based on `{}`.\n",
        space.file,
        d.label,
        d.cost_usd_per_month.mean,
        crate::units::human_secs(d.latency_s_p99.mean),
        d.worst_replay,
        space.scenario_file
    );
    Ok(head + &body)
}
