//! Naming the bottleneck: which component saturates first, on which node, why, and what
//! relieves it. Shared by `run` (one line under the summary) and journeys (per stage).

mod advice;

use crate::components::ComponentSpec;
use crate::model::{CompId, Model};
use crate::summary::{ComponentSummary, Summary};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    CpuUtilization,
    ThreadExhaustion,
    ConnectionExhaustion,
    ReadLoad,
    WriteLoad,
    /// A queue's workers cannot keep up: messages wait longer and longer.
    WorkersBehind,
    /// Nothing is saturated, but one synchronous step takes long on its own: more capacity
    /// does not lower the latency.
    LatencyFloor,
    /// Nothing is near saturation: the criteria are missed on errors (a fault, a timeout)
    /// or on latency that capacity does not explain.
    NotSaturated,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Bottleneck {
    pub component: String,
    pub kind: String,
    /// The busiest node of the component ("replica 1", "primary", "busiest shard"), when
    /// it has several kinds of node.
    pub node: Option<String>,
    pub cause: Cause,
    /// The highest of the component's utilizations (cores, threads, connections, nodes).
    pub saturation: f64,
    pub sentence: String,
    pub relieved_by: String,
}

fn extra(c: &ComponentSummary, key: &str) -> f64 {
    c.extra.get(key).copied().unwrap_or(0.0)
}

/// The busiest node of a component with distinct nodes (primary, replicas, shards), and its
/// utilization, from the summary's per-node statistics. Instance slots of one service are
/// interchangeable, so naming one would say nothing: they count as the component itself.
pub fn busiest_node(c: &ComponentSummary) -> Option<(String, f64)> {
    let node = c.nodes.iter().find(|n| n.name == c.busiest_node)?;
    (c.nodes.len() > 1 && !node.name.starts_with("instance")).then(|| (node.name.clone(), node.utilization))
}

/// Saturation of a component: its busiest resource or node.
pub fn saturation(c: &ComponentSummary) -> f64 {
    c.utilization
        .max(extra(c, "threads_utilization"))
        .max(extra(c, "connections_utilization"))
        .max(busiest_node(c).map_or(0.0, |n| n.1))
}

/// The components `id` calls, for any class (through balancers and gateways too).
fn targets(model: &Model, id: CompId) -> Vec<CompId> {
    let spec = &model.components[id as usize].spec;
    let mut out: Vec<CompId> = (0..model.classes.len()).flat_map(|k| spec.forwards(k)).map(|t| t.0).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A saturated component downstream of `id` (depth-limited: graphs are acyclic).
fn saturated_downstream(model: &Model, s: &Summary, id: CompId, depth: u32) -> Option<CompId> {
    if depth > 8 {
        return None;
    }
    for t in targets(model, id) {
        let c = s.components.get(&model.components[t as usize].name);
        if c.is_some_and(|c| saturation(c) >= 0.9) {
            return Some(t);
        }
        if let Some(d) = saturated_downstream(model, s, t, depth + 1) {
            return Some(d);
        }
    }
    None
}

/// Threads, connections or workers held while waiting on a saturated dependency are that
/// dependency's queue, not a cause: a pooler in front of a saturated database, a service
/// whose threads wait on it, a queue whose workers do.
fn is_symptom(model: &Model, s: &Summary, id: CompId, c: &ComponentSummary) -> bool {
    let held = match &model.components[id as usize].spec {
        ComponentSpec::Pooler(_) | ComponentSpec::Queue(_) | ComponentSpec::LoadBalancer(_) => true,
        ComponentSpec::Service(_) | ComponentSpec::Gateway(_) => c.utilization < 0.85,
        ComponentSpec::Database(_)
        | ComponentSpec::Cache(_)
        | ComponentSpec::Shards(_)
        | ComponentSpec::Cdn(_)
        | ComponentSpec::ObjectStorage(_)
        | ComponentSpec::GeoDns(_) => false,
    };
    held && saturated_downstream(model, s, id, 0).is_some()
}

fn cause(spec: &ComponentSpec, c: &ComponentSummary) -> Cause {
    let cpu_bound = c.utilization >= 0.85;
    match spec {
        ComponentSpec::Service(_) if !cpu_bound && extra(c, "threads_utilization") >= 0.9 => Cause::ThreadExhaustion,
        ComponentSpec::Queue(_) => Cause::WorkersBehind,
        ComponentSpec::Service(_)
        | ComponentSpec::LoadBalancer(_)
        | ComponentSpec::Gateway(_)
        | ComponentSpec::Cdn(_)
        | ComponentSpec::ObjectStorage(_)
        | ComponentSpec::GeoDns(_) => Cause::CpuUtilization,
        ComponentSpec::Database(_) if !cpu_bound && extra(c, "connections_utilization") >= 0.9 => {
            Cause::ConnectionExhaustion
        }
        ComponentSpec::Database(d) if d.replicas.is_some() => match busiest_node(c) {
            // Replicas serve only reads.
            Some((n, _)) if n.starts_with("replica") => Cause::ReadLoad,
            // The primary: its own reads (read-your-writes, fallbacks) against the writes.
            _ => {
                let (reads, writes) = (extra(c, "primary_reads"), extra(c, "writes"));
                if writes * d.write_time.mean_secs() > reads * d.read_time.mean_secs() {
                    Cause::WriteLoad
                } else {
                    Cause::ReadLoad
                }
            }
        },
        ComponentSpec::Database(d) => read_or_write(c, d.read_time.mean_secs(), d.write_time.mean_secs()),
        ComponentSpec::Shards(s) => read_or_write(c, s.server.times.read.mean_secs(), s.server.times.write.mean_secs()),
        ComponentSpec::Pooler(_) => Cause::ConnectionExhaustion,
        ComponentSpec::Cache(_) => Cause::CpuUtilization,
    }
}

/// Whether reads or writes take more of a data component's busy time.
fn read_or_write(c: &ComponentSummary, read_s: f64, write_s: f64) -> Cause {
    if extra(c, "writes") * write_s > extra(c, "reads") * read_s {
        Cause::WriteLoad
    } else {
        Cause::ReadLoad
    }
}

/// The synchronous step whose own work sets the latency, when nothing is saturated: its
/// mean work is a large part of the P99 and long in absolute terms.
fn latency_floor<'a>(model: &'a Model, s: &'a Summary) -> Option<(&'a str, &'a ComponentSummary)> {
    let p99 = s.latency_s.p99;
    model
        .components
        .iter()
        .filter(|m| !matches!(m.spec, ComponentSpec::Queue(_)))
        .filter_map(|m| s.components.get(&m.name).map(|c| (m.name.as_str(), c)))
        .filter(|(_, c)| c.received > 0 && c.service_s_mean >= 0.02 && c.service_s_mean >= 0.2 * p99)
        .max_by(|a, b| a.1.service_s_mean.total_cmp(&b.1.service_s_mean))
}

/// The component that saturates first in a run, with sentences saying why.
pub fn bottleneck(model: &Model, s: &Summary) -> Option<Bottleneck> {
    let (id, c) = model
        .components
        .iter()
        .enumerate()
        .filter_map(|(i, m)| s.components.get(&m.name).map(|c| (i as CompId, c)))
        .filter(|(i, c)| !is_symptom(model, s, *i, c))
        .max_by(|a, b| {
            saturation(a.1).total_cmp(&saturation(b.1)).then_with(|| {
                let name = |i: CompId| &model.components[i as usize].name;
                name(b.0).cmp(name(a.0))
            })
        })?;
    let sat = saturation(c);
    if sat < 0.8 {
        if let Some((name, f)) = latency_floor(model, s) {
            let id = model.component_id(name).expect("a component of the model");
            return Some(describe(model, s, id, f, Cause::LatencyFloor));
        }
        return Some(describe(model, s, id, c, Cause::NotSaturated));
    }
    let spec = &model.components[id as usize].spec;
    Some(describe(model, s, id, c, cause(spec, c)))
}

/// The bottleneck `run` shows: only when something is wrong (errors, or a node above 80%).
pub fn run_bottleneck(model: &Model, s: &Summary) -> Option<Bottleneck> {
    let busy = s.components.values().any(|c| saturation(c) > 0.8);
    if s.requests.error_ratio > 0.0 || busy {
        bottleneck(model, s)
    } else {
        None
    }
}

fn describe(model: &Model, s: &Summary, id: CompId, c: &ComponentSummary, cause: Cause) -> Bottleneck {
    let comp = &model.components[id as usize];
    let node = busiest_node(c).filter(|_| cause != Cause::LatencyFloor);
    let sat = saturation(c);
    let who = match &node {
        Some((n, _)) => format!("`{}` ({}, {n})", comp.name, c.kind),
        None => format!("`{}` ({})", comp.name, c.kind),
    };
    let pct = sat * 100.0;
    let sentence = match cause {
        Cause::NotSaturated if s.requests.error_ratio > 0.0 => format!(
            "{who} is the busiest component, at {pct:.0}%. Nothing is saturated. The errors ({:.2}%) come from {}, not from capacity.",
            s.requests.error_ratio * 100.0,
            error_source(s)
        ),
        Cause::NotSaturated => format!(
            "{who} is the busiest component, at {pct:.0}%. Nothing is saturated. What misses the criteria here is latency or errors, not capacity."
        ),
        Cause::LatencyFloor => format!(
            "{who} sets a latency floor. Its own work takes {} per call on average, inside the request. P99 is {} at {:.0}/s while it is only {:.0}% busy.",
            crate::units::human_secs(c.service_s_mean),
            crate::units::human_secs(s.latency_s.p99),
            s.throughput_per_s,
            c.utilization * 100.0
        ),
        _ => format!("{who} saturates first, at {pct:.0}%. {}", why(model, s, id, c, cause)),
    };
    let sentence = match s.faults.iter().find(|f| f.errors_during > 0 || f.requests_failed > 0) {
        Some(f) if cause != Cause::NotSaturated => format!(
            "{sentence} A fault ({} of `{}` at {}) also fails requests.",
            f.kind,
            f.target,
            crate::units::human_secs(f.at_s)
        ),
        _ => sentence,
    };
    Bottleneck {
        component: comp.name.clone(),
        kind: c.kind.clone(),
        node: node.map(|n| n.0),
        cause,
        saturation: sat,
        sentence,
        relieved_by: advice::relief(model, id, cause),
    }
}

/// Where the errors of a run with nothing saturated come from: a fault, a component turning
/// calls away at its own limits, else timeouts.
fn error_source(s: &Summary) -> String {
    if let Some(f) = s.faults.iter().find(|f| f.errors_during > 0 || f.requests_failed > 0) {
        return format!("a fault ({} of `{}`)", f.kind, f.target);
    }
    match s.components.iter().filter(|(_, c)| c.rejected > 0).max_by_key(|(_, c)| c.rejected) {
        Some((n, c)) => format!("`{n}`, which turned away {} calls at its limits", c.rejected),
        None => "timeouts".into(),
    }
}

fn why(model: &Model, s: &Summary, id: CompId, c: &ComponentSummary, cause: Cause) -> String {
    let dep = || {
        targets(model, id)
            .into_iter()
            .map(|t| &model.components[t as usize].name)
            .filter_map(|n| s.components.get(n).map(|c| (n, c)))
            .max_by(|a, b| a.1.latency_s.mean.total_cmp(&b.1.latency_s.mean))
            .map(|(n, c)| format!("`{n}` ({} on average)", crate::units::human_secs(c.latency_s.mean)))
            .unwrap_or_else(|| "their dependencies".into())
    };
    match cause {
        Cause::CpuUtilization => "Its cores are its busiest resource.".into(),
        Cause::ThreadExhaustion => {
            format!("Its worker threads are all held waiting on {}. Its CPU still has room.", dep())
        }
        Cause::ConnectionExhaustion => "Its connections are all taken. Its CPU still has room.".into(),
        Cause::ReadLoad => "Reads keep its cores busy.".into(),
        Cause::WriteLoad if busiest_node(c).is_some_and(|n| n.0 == "primary") => {
            "Writes keep the primary's cores busy.".into()
        }
        Cause::WriteLoad => "Writes keep its cores busy.".into(),
        Cause::WorkersBehind => format!(
            "Its workers are busy all the time, each holding a message while it waits on {}. The backlog and each message's wait grow.",
            dep()
        ),
        Cause::LatencyFloor | Cause::NotSaturated => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes overload a primary (one core) behind PgBouncer, while its two replicas idle:
    /// the averaged utilization is a third, the pooler's connections are all taken, and the
    /// primary is the bottleneck.
    #[test]
    fn a_saturated_primary_is_named_and_not_the_pooler_in_front_of_it() {
        let text = r#"
[scenario]
name = "primary saturated behind a pooler"
duration = "20s"
warmup = "2s"
[load]
rate = "150/s"
timeout = "10s"
[requests]
save = 1.0
[keys]
count = 1000
[users]
count = 1000
[components.app]
kind = "service"
cores = 64
max_in_flight = 1000
service_time = "exp(mean = 0.1ms)"
calls = ["pgbouncer.write"]
[components.pgbouncer]
kind = "pooler"
backend = "db"
server_connections = 10
[components.db]
kind = "database"
cores = 1
connections = 100
read_time = "exp(mean = 1ms)"
write_time = "exp(mean = 8ms)"
replicas = 2
"#;
        let model = crate::load::parse_scenario("test.toml", text).unwrap();
        let s = crate::runner::run(&model);
        assert!(s.components["db"].utilization_mean < 0.5, "averaged over three servers");
        assert!(saturation(&s.components["pgbouncer"]) > 0.95);
        let b = bottleneck(&model, &s).unwrap();
        assert_eq!((b.component.as_str(), b.cause), ("db", Cause::WriteLoad), "{}", b.sentence);
        assert!(b.sentence.contains("Writes keep the primary"), "{}", b.sentence);
        assert_eq!(b.node.as_deref(), Some("primary"));
        assert!(b.saturation > 0.95);
    }
}
