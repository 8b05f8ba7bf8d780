//! Naming the bottleneck: which component saturates first, why, and what relieves it.

use crate::components::ComponentSpec;
use crate::model::Model;
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
    /// Nothing is near saturation: the criteria are missed on errors (a fault, a timeout)
    /// or on latency that capacity does not explain.
    NotSaturated,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Bottleneck {
    pub component: String,
    pub kind: String,
    pub cause: Cause,
    /// The highest of the component's utilizations (cores, threads, connections).
    pub saturation: f64,
    pub sentence: String,
    pub relieved_by: String,
}

fn extra(c: &ComponentSummary, key: &str) -> f64 {
    c.extra.get(key).copied().unwrap_or(0.0)
}

/// Saturation of a component: its busiest resource. A replicated database's or a shard
/// set's `utilization` averages its servers, so its busiest server (the primary taking every
/// write, the shard holding the hot keys) counts on its own.
pub fn saturation(c: &ComponentSummary) -> f64 {
    c.utilization
        .max(extra(c, "threads_utilization"))
        .max(extra(c, "connections_utilization"))
        .max(extra(c, "primary_utilization"))
        .max(extra(c, "shard_utilization_max"))
}

/// A pooler holds a server connection for as long as its backend takes: when the backend is
/// saturated too, the pooler's full connections are the backend's queue, not a cause.
fn waits_on_saturated_backend(model: &Model, s: &Summary, spec: &ComponentSpec) -> bool {
    let ComponentSpec::Pooler(p) = spec else { return false };
    let backend = &model.components[p.backend as usize].name;
    s.components.get(backend).is_some_and(|b| saturation(b) >= 0.9)
}

fn cause(spec: &ComponentSpec, c: &ComponentSummary) -> Cause {
    if saturation(c) < 0.8 {
        return Cause::NotSaturated;
    }
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
        // With replicas, the primary saturates first when writes are the load: judge it by
        // its own reads (read-your-writes, replica fallbacks) against the writes.
        ComponentSpec::Database(d) if d.replicas.is_some() && extra(c, "primary_utilization") > c.utilization_mean => {
            let (reads, writes) = (extra(c, "primary_reads"), extra(c, "writes"));
            if writes * d.write_time.mean_secs() > reads * d.read_time.mean_secs() {
                Cause::WriteLoad
            } else {
                Cause::ReadLoad
            }
        }
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

fn explain(cause: Cause) -> (&'static str, &'static str) {
    match cause {
        Cause::CpuUtilization => (
            "its cores are busy nearly all the time",
            "more instances behind a load balancer (horizontal scaling), or autoscaling",
        ),
        Cause::ThreadExhaustion => (
            "its worker threads are all held waiting on slow downstream calls while its CPU has room",
            "speeding up the dependency: a cache in front of it, read replicas, or a queue for slow work",
        ),
        Cause::ConnectionExhaustion => (
            "its connections are all taken while its CPU has room",
            "a connection pooler (PgBouncer-style) or a larger connection limit",
        ),
        Cause::ReadLoad => ("reads keep its cores busy", "a cache for popular reads, then read replicas"),
        Cause::NotSaturated => (
            "it is the busiest component, yet not saturated: this load misses the criteria on errors (a fault, timeouts) or latency, not capacity",
            "the faults and the error ratio of this stage, not more capacity",
        ),
        Cause::WorkersBehind => (
            "its workers are busy all the time, so the backlog and the messages' wait grow",
            "more workers, autoscaled on queue depth",
        ),
        Cause::WriteLoad => {
            ("write load on the primary keeps its cores busy", "a message queue for deferrable writes, then sharding")
        }
    }
}

/// The component that saturates first in a run, with a sentence saying why.
pub fn bottleneck(model: &Model, s: &Summary) -> Option<Bottleneck> {
    let (comp, c) = model
        .components
        .iter()
        .filter_map(|m| s.components.get(&m.name).map(|c| (m, c)))
        .filter(|(m, _)| !waits_on_saturated_backend(model, s, &m.spec))
        .max_by(|a, b| saturation(a.1).total_cmp(&saturation(b.1)).then_with(|| b.0.name.cmp(&a.0.name)))?;
    let cause = cause(&comp.spec, c);
    let (why, fix) = explain(cause);
    let sat = saturation(c);
    Some(Bottleneck {
        component: comp.name.clone(),
        kind: c.kind.clone(),
        cause,
        saturation: sat,
        sentence: match cause {
            Cause::NotSaturated => {
                format!("`{}` ({}) is the busiest at {:.0}%, but {why}.", comp.name, c.kind, sat * 100.0)
            }
            _ => format!("`{}` ({}) saturates first at {:.0}%: {why}.", comp.name, c.kind, sat * 100.0),
        },
        relieved_by: fix.to_string(),
    })
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
        assert!(b.sentence.contains("write load on the primary"), "{}", b.sentence);
        assert!(b.saturation > 0.95);
    }
}
