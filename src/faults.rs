//! Faults on a schedule (`[[faults]]`): what breaks, when, and for how long.
//!
//! ```toml
//! [[faults]]
//! at = "5m"
//! kind = "instance_crash"   # one instance of a service crashes...
//! target = "app"
//! instance = 1
//! restart_after = "2m"      # ...and serves again two minutes later (absent: never)
//!
//! [[faults]]
//! at = "20m"
//! kind = "component_down"   # a whole service, database or balancer stops
//! target = "db"
//! duration = "1m"           # absent: until the end of the run
//!
//! [[faults]]
//! at = "30m"
//! kind = "link_latency"     # every call between the two pays this much more, each way
//! between = ["app", "db"]
//! latency = "50ms"
//! duration = "5m"
//!
//! [[faults]]
//! at = "40m"
//! kind = "link_loss"        # this share of the calls between them is lost
//! between = ["app", "db"]
//! loss = 0.05
//! duration = "5m"
//!
//! [[faults]]
//! at = "50m"
//! kind = "region_outage"    # every component placed in the region is down
//! region = "eu-west"
//! duration = "10m"
//!
//! [[faults]]
//! at = "60m"
//! kind = "region_partition" # calls between the two regions are lost, both ways
//! between = ["us-east", "eu-west"]
//! duration = "5m"
//!
//! [[faults]]
//! at = "70m"
//! kind = "replica_lag_spike" # every write reaches the replicas this much later
//! target = "db"
//! lag = "30s"
//! duration = "2m"
//!
//! [[faults]]
//! at = "80m"
//! kind = "cache_flush"      # the cache empties at once (a cold restart)
//! target = "cache"
//!
//! [[faults]]
//! at = "90m"
//! kind = "primary_failover" # the primary dies; a replica is promoted after `promotion`
//! target = "db"
//! promotion = "30s"
//! ```
//!
//! A crashed instance fails every call it receives and every call it held; a balancer keeps
//! sending to it until its health checks notice (see `load_balancer`). A lost call is noticed
//! by its caller's `timeout` (it times out), or at once (a failed connection) when the
//! caller has none.
//!
//! `restart_after` is the whole time until the instance serves again (boot and warm-up
//! included). Crashing an instance slot that is not running at that moment (an autoscaled
//! pool's spare) does nothing.
//!
//! Each component kind handles the faults aimed at it through `Component::fault`; which kind
//! accepts which fault is `ComponentSpec::accepts_fault`. Link and region faults are the engine's
//! (`engine/timeline.rs`, `engine/regional.rs`). The
//! summary reports each fault: when it started, how long until a balancer detected it and
//! until the capacity served again, the calls it failed and the requests that ended in error
//! while it lasted (from its start to its end: the restart, or the end of its duration).
//!
//! The region and data faults (`regions.rs` and `data.rs` beside this file validate them):
//!
//! - `region_outage`: every component placed in `region` stops; the calls they hold fail and
//!   every call to them fails at once (a refused connection), users' requests to an entry
//!   there too. Nothing but a `geo_dns` with a `health_check` notices: until its checks fail
//!   it keeps sending the region's users there; then it sends them to the nearest region
//!   that is up, and back once the region passes a check again. Without a health check the
//!   DNS never notices (the region's users fail until the outage ends). A balancer in another
//!   region fronting a service inside it does not notice either (its members look healthy).
//! - `region_partition`: every call between a component of one region and one of the other
//!   is lost, both ways (as with `link_loss = 1`), and users of one region cannot reach an
//!   entry in the other. Kinds that are everywhere (geo-DNS, CDN) call from the user's region.
//! - `replica_lag_spike`: every write committed while it lasts reaches each replica `lag`
//!   later than usual; the reads served stale while it lasts are the fault's `served_stale`,
//!   and it has recovered when the last write made during it shows on every replica.
//! - `cache_flush`: a keyed cache empties at once (a fixed `hit_ratio` cache keeps no keys,
//!   so it is rejected). It has recovered when the hit ratio of a block of 500 reads is back
//!   to 95% of the ratio of the 2,000 reads before the flush; the misses beyond what the old
//!   ratio would have missed until then are its `backend_reads_extra`.
//! - `primary_failover`: the primary of a database with replicas dies. Writes fail for
//!   `promotion` (detection included), reads go on at the replicas; then the replica with the
//!   fewest writes outstanding is promoted and the database runs with one replica fewer (no
//!   replacement is modelled). Writes committed on the old primary and not yet visible on the
//!   promoted replica when it died are the fault's `requests_lost`.
//!
//! Adding a fault kind: a `FaultKind` variant (and `name`, `lasts`), its keys in `FAULT_KEYS` (which the JSON Schema reads too) and
//! `FaultInput`, its validation in `validate`, the kinds that accept it in
//! `ComponentSpec::accepts_fault`, and an arm in those kinds' `fault` (every other kind's
//! `fault` lists it too, as the matches have no catch-all). A kind reports what the fault did
//! in `ctx.faults[id]` (failed calls through `crash::count`; detection and recovery through
//! `Members::went_down` / `came_back`, or directly).

use crate::diag::did_you_mean;
use crate::model::{CompId, ComponentModel, Placement};
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

mod data;
mod regions;

/// Faults a scenario may schedule (their index travels in events as `u16`).
pub const MAX_FAULTS: usize = 10_000;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultInput {
    /// When it starts, from the start of the run (simulated time).
    #[schemars(with = "crate::schema::Duration")]
    pub at: String,
    /// The fault kind; it decides which other keys the fault takes.
    pub kind: String,
    /// The component it strikes.
    pub target: Option<String>,
    /// instance_crash: which instance (from 0; default 0).
    pub instance: Option<u32>,
    /// instance_crash: when the instance serves again (absent: never).
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub restart_after: Option<String>,
    /// component_down, link faults: how long it lasts (absent: to the end of the run).
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub duration: Option<String>,
    /// Link faults: the two components whose calls it affects.
    pub between: Option<[String; 2]>,
    /// link_latency: one-way latency added to each call and reply.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub latency: Option<String>,
    /// link_loss: the probability (0 to 1) that a call is lost.
    pub loss: Option<f64>,
    /// region_outage: the region that goes down (a name from models/regions.toml).
    pub region: Option<String>,
    /// replica_lag_spike: added to every write's replication lag while it lasts.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub lag: Option<String>,
    /// primary_failover: from the primary's death until a replica serves writes.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub promotion: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    InstanceCrash {
        instance: u16,
        restart_after: Option<Nanos>,
    },
    ComponentDown {
        duration: Option<Nanos>,
    },
    LinkLatency {
        other: CompId,
        added: Nanos,
        duration: Option<Nanos>,
    },
    LinkLoss {
        other: CompId,
        loss: f64,
        duration: Option<Nanos>,
    },
    /// Regions are indices into `Placement::table`.
    RegionOutage {
        region: u8,
        duration: Option<Nanos>,
    },
    RegionPartition {
        a: u8,
        b: u8,
        duration: Option<Nanos>,
    },
    ReplicaLagSpike {
        lag: Nanos,
        duration: Option<Nanos>,
    },
    CacheFlush,
    PrimaryFailover {
        promotion: Nanos,
    },
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::InstanceCrash { .. } => "instance_crash",
            FaultKind::ComponentDown { .. } => "component_down",
            FaultKind::LinkLatency { .. } => "link_latency",
            FaultKind::LinkLoss { .. } => "link_loss",
            FaultKind::RegionOutage { .. } => "region_outage",
            FaultKind::RegionPartition { .. } => "region_partition",
            FaultKind::ReplicaLagSpike { .. } => "replica_lag_spike",
            FaultKind::CacheFlush => "cache_flush",
            FaultKind::PrimaryFailover { .. } => "primary_failover",
        }
    }

    /// How long after its start the fault ends (a restart, or the end of its duration).
    pub fn lasts(&self) -> Option<Nanos> {
        match self {
            FaultKind::InstanceCrash { restart_after, .. } => *restart_after,
            FaultKind::ComponentDown { duration }
            | FaultKind::LinkLatency { duration, .. }
            | FaultKind::LinkLoss { duration, .. }
            | FaultKind::RegionOutage { duration, .. }
            | FaultKind::RegionPartition { duration, .. }
            | FaultKind::ReplicaLagSpike { duration, .. } => *duration,
            // Instantaneous: what follows is the re-warm, reported as its recovery.
            FaultKind::CacheFlush => None,
            FaultKind::PrimaryFailover { promotion } => Some(*promotion),
        }
    }
}

#[derive(Clone, Debug)]
pub struct FaultSpec {
    pub at: Nanos,
    /// The component struck (for a link fault, the first of the pair; for a region fault,
    /// none: 0, the regions are in the kind).
    pub target: CompId,
    pub kind: FaultKind,
    /// As the summary names it: a component, `a-b` for a link, a region, or `a-b` for two.
    pub target_name: String,
}

/// What a run measured about one fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FaultStats {
    pub started_at: Option<Nanos>,
    /// A balancer stopped sending to what the fault broke.
    pub detected_at: Option<Nanos>,
    /// What the fault broke serves again (back in rotation where a balancer fronts it).
    pub recovered_at: Option<Nanos>,
    /// Calls the fault failed: received by a crashed instance, held by it, or lost.
    pub failed: u64,
    /// Requests that ended in error (any cause) while the fault lasted.
    pub errors_during: u64,
    /// Writes acknowledged and then lost (a failover's unreplicated writes).
    pub lost: u64,
    /// Reads served stale while the fault lasted (a replica lag spike).
    pub stale: u64,
    /// A cache flush: misses until it re-warmed beyond those the old hit ratio would have had.
    pub backend_reads_extra: u64,
}

/// Keys each fault kind takes (besides `at` and `kind`).
pub const FAULT_KEYS: &[(&str, &[&str])] = &[
    ("instance_crash", &["target", "instance", "restart_after"]),
    ("component_down", &["target", "duration"]),
    ("link_latency", &["between", "latency", "duration"]),
    ("link_loss", &["between", "loss", "duration"]),
    ("region_outage", &["region", "duration"]),
    ("region_partition", &["between", "duration"]),
    ("replica_lag_spike", &["target", "lag", "duration"]),
    ("cache_flush", &["target"]),
    ("primary_failover", &["target", "promotion"]),
];

fn present(f: &FaultInput) -> Vec<&'static str> {
    let keys = [
        ("target", f.target.is_some()),
        ("instance", f.instance.is_some()),
        ("restart_after", f.restart_after.is_some()),
        ("duration", f.duration.is_some()),
        ("between", f.between.is_some()),
        ("latency", f.latency.is_some()),
        ("loss", f.loss.is_some()),
        ("region", f.region.is_some()),
        ("lag", f.lag.is_some()),
        ("promotion", f.promotion.is_some()),
    ];
    keys.iter().filter(|(_, p)| *p).map(|(k, _)| *k).collect()
}

/// Validates `[[faults]]` against the components.
pub fn validate(
    inputs: &[FaultInput],
    comps: &[ComponentModel],
    placement: &Placement,
    duration: Nanos,
    r: &mut Resolver,
) -> Vec<FaultSpec> {
    if inputs.len() > MAX_FAULTS {
        r.problem(&["faults"], format!("more than {MAX_FAULTS} faults"), "merge faults that strike together");
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, f) in inputs.iter().enumerate() {
        let idx = i.to_string();
        let at = |k: &'static str| ["faults", idx.as_str(), k];
        let Some((kind, allowed)) = FAULT_KEYS.iter().find(|(k, _)| *k == f.kind) else {
            let kinds: Vec<&str> = FAULT_KEYS.iter().map(|(k, _)| *k).collect();
            let help = match did_you_mean(&f.kind, kinds.iter().copied()) {
                Some(k) => format!("did you mean `{k}`? Fault kinds: {}", kinds.join(", ")),
                None => format!("fault kinds: {}", kinds.join(", ")),
            };
            r.problem(&at("kind"), format!("unknown fault kind `{}`", f.kind), help);
            continue;
        };
        let extra: Vec<&str> = present(f).into_iter().filter(|k| !allowed.contains(k)).collect();
        for key in &extra {
            r.problem(
                &["faults", idx.as_str(), key],
                format!("`{key}` is not a key of an `{kind}` fault"),
                format!("keys of {kind}: at, kind, {}", allowed.join(", ")),
            );
        }
        let start = r.duration(&at("at"), &f.at);
        if start.is_some_and(|s| s >= duration) {
            r.problem(&at("at"), "the fault starts after the run ends", "make `at` shorter than [scenario] duration");
        }
        let spec = match *kind {
            "instance_crash" => crash(f, &idx, comps, r),
            "component_down" => down(f, &idx, comps, r),
            "region_outage" => regions::outage(f, &idx, comps, placement, r),
            "region_partition" => regions::partition(f, &idx, comps, placement, r),
            "replica_lag_spike" => data::lag_spike(f, &idx, comps, r),
            "cache_flush" => data::flush(f, &idx, comps, r),
            "primary_failover" => data::failover(f, &idx, comps, r),
            _ => link(f, kind, &idx, r),
        };
        if let (Some(at), Some((target, kind)), true) = (start, spec, extra.is_empty()) {
            let target_name = match &kind {
                FaultKind::LinkLatency { other, .. } | FaultKind::LinkLoss { other, .. } => {
                    format!("{}-{}", comps[target as usize].name, comps[*other as usize].name)
                }
                FaultKind::RegionOutage { region, .. } => placement.table.names[*region as usize].clone(),
                FaultKind::RegionPartition { a, b, .. } => {
                    format!("{}-{}", placement.table.names[*a as usize], placement.table.names[*b as usize])
                }
                FaultKind::InstanceCrash { .. }
                | FaultKind::ComponentDown { .. }
                | FaultKind::ReplicaLagSpike { .. }
                | FaultKind::CacheFlush
                | FaultKind::PrimaryFailover { .. } => comps[target as usize].name.clone(),
            };
            out.push(FaultSpec { at, target, kind, target_name });
        }
    }
    out
}

pub(crate) fn optional(r: &mut Resolver, idx: &str, key: &'static str, v: &Option<String>) -> Option<Option<Nanos>> {
    match v {
        None => Some(None),
        Some(t) => match r.duration(&["faults", idx, key], t)? {
            0 => {
                r.problem(&["faults", idx, key], format!("`{key}` must be greater than zero"), "for example \"2m\"");
                None
            }
            d => Some(Some(d)),
        },
    }
}

/// The target component, checked to accept this kind of fault.
pub(crate) fn target(
    f: &FaultInput,
    idx: &str,
    comps: &[ComponentModel],
    r: &mut Resolver,
    probe: &FaultKind,
) -> Option<CompId> {
    let Some(name) = &f.target else {
        r.problem(
            &["faults", idx, "kind"],
            format!("an `{}` fault needs a `target`", f.kind),
            "name the component, e.g. `target = \"app\"`",
        );
        return None;
    };
    let id = r.component(&["faults", idx, "target"], name)?;
    let c = &comps[id as usize];
    if !c.spec.accepts_fault(probe) {
        let takers: Vec<&str> = comps.iter().filter(|o| o.spec.accepts_fault(probe)).map(|o| o.name.as_str()).collect();
        let refusal = c.spec.fault_refusal(name, probe);
        let help = match (probe, refusal, takers.is_empty()) {
            (FaultKind::InstanceCrash { .. }, _, _) => {
                format!("a {} has no instances to crash: use `component_down`, or target a service", c.spec.kind_name())
            }
            (_, Some(why), _) => why,
            (_, None, false) => format!("components it applies to: {}", takers.join(", ")),
            (_, None, true) => "no component of this scenario accepts it".to_string(),
        };
        r.problem(
            &["faults", idx, "target"],
            format!("`{}` does not apply to {} `{name}`", f.kind, c.spec.kind_name()),
            help,
        );
        return None;
    }
    Some(id)
}

fn crash(f: &FaultInput, idx: &str, comps: &[ComponentModel], r: &mut Resolver) -> Option<(CompId, FaultKind)> {
    let restart_after = optional(r, idx, "restart_after", &f.restart_after);
    let probe = FaultKind::InstanceCrash { instance: 0, restart_after: None };
    let id = target(f, idx, comps, r, &probe)?;
    let slots = comps[id as usize].spec.max_instances();
    let instance = f.instance.unwrap_or(0);
    if instance >= slots {
        r.problem(
            &["faults", idx, "instance"],
            format!(
                "`{}` has {slots} instance(s), numbered from 0, so there is no instance {instance}",
                comps[id as usize].name
            ),
            format!("use an instance from 0 to {}", slots - 1),
        );
        return None;
    }
    Some((id, FaultKind::InstanceCrash { instance: instance as u16, restart_after: restart_after? }))
}

fn down(f: &FaultInput, idx: &str, comps: &[ComponentModel], r: &mut Resolver) -> Option<(CompId, FaultKind)> {
    let duration = optional(r, idx, "duration", &f.duration);
    let id = target(f, idx, comps, r, &FaultKind::ComponentDown { duration: None })?;
    Some((id, FaultKind::ComponentDown { duration: duration? }))
}

fn link(f: &FaultInput, kind: &str, idx: &str, r: &mut Resolver) -> Option<(CompId, FaultKind)> {
    let duration = optional(r, idx, "duration", &f.duration);
    let Some([a, b]) = &f.between else {
        r.problem(
            &["faults", idx, "kind"],
            format!("a `{kind}` fault needs `between`"),
            "for example `between = [\"app\", \"db\"]`",
        );
        return None;
    };
    let ids = (r.component(&["faults", idx, "between", "0"], a), r.component(&["faults", idx, "between", "1"], b));
    let (a, b) = (ids.0?, ids.1?);
    if a == b {
        r.problem(
            &["faults", idx, "between"],
            "a link joins two different components",
            "name the caller and the callee",
        );
        return None;
    }
    let kind = if kind == "link_latency" {
        let Some(t) = &f.latency else {
            r.problem(
                &["faults", idx, "kind"],
                "a `link_latency` fault needs `latency`",
                "for example `latency = \"50ms\"`",
            );
            return None;
        };
        let added = r.duration(&["faults", idx, "latency"], t)?;
        FaultKind::LinkLatency { other: b, added, duration: duration? }
    } else {
        let loss = match f.loss {
            Some(p) if p > 0.0 && p <= 1.0 => p,
            _ => {
                r.problem(
                    &["faults", idx, "loss"],
                    "`loss` must be above 0 and at most 1",
                    "the share of calls lost, e.g. `loss = 0.05`",
                );
                return None;
            }
        };
        FaultKind::LinkLoss { other: b, loss, duration: duration? }
    };
    Some((a, kind))
}
