//! What relieves a bottleneck, said only in terms the design does not already have and the
//! model can represent: no "then sharding" for a sharded store, no "a cache" in front of a
//! database that has one.

use super::Cause;
use crate::components::ComponentSpec;
use crate::model::{CompId, Model};

/// Components that call `id` directly.
fn callers(model: &Model, id: CompId) -> impl Iterator<Item = &ComponentSpec> + '_ {
    model.components.iter().map(|c| &c.spec).filter(move |s| s.downstream().contains(&id))
}

fn has_cache_in_front(model: &Model, id: CompId) -> bool {
    callers(model, id).any(|s| matches!(s, ComponentSpec::Cache(_)))
}

fn has_balancer_in_front(model: &Model, id: CompId) -> bool {
    callers(model, id).any(|s| matches!(s, ComponentSpec::LoadBalancer(_) | ComponentSpec::Gateway(_)))
}

fn has_queue_in_front(model: &Model, id: CompId) -> bool {
    callers(model, id).any(|s| matches!(s, ComponentSpec::Queue(_)))
}

fn has_pooler_in_front(model: &Model, id: CompId) -> bool {
    callers(model, id).any(|s| matches!(s, ComponentSpec::Pooler(_)))
}

/// A phrase listing what relieves `cause` at component `id` in this design.
pub fn relief(model: &Model, id: CompId, cause: Cause) -> String {
    let spec = &model.components[id as usize].spec;
    let mut ways: Vec<String> = Vec::new();
    match cause {
        Cause::CpuUtilization => match spec {
            ComponentSpec::Service(s) => match &s.autoscale {
                Some(a) => ways.push(format!("a higher autoscaling maximum (now {})", a.max)),
                None if has_balancer_in_front(model, id) => {
                    ways.push("more instances".into());
                    ways.push("autoscaling".into());
                }
                None => ways.push("more instances behind a load balancer (horizontal scaling)".into()),
            },
            ComponentSpec::Cache(_) => ways.push("more cache servers".into()),
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cdn(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_)
            | ComponentSpec::Queue(_) => ways.push("more servers for it, or larger ones".into()),
        },
        Cause::ThreadExhaustion => {
            ways.push("a faster dependency (the one its threads wait on)".into());
            ways.push("more worker threads (`max_in_flight`) if that dependency has room".into());
        }
        Cause::ConnectionExhaustion if has_pooler_in_front(model, id) => {
            ways.push("more server connections in the pooler, if the database's cores have room".into())
        }
        Cause::ConnectionExhaustion => {
            ways.push("a connection pooler (PgBouncer-style)".into());
            ways.push("a larger connection limit".into());
        }
        Cause::ReadLoad => read_relief(model, id, spec, &mut ways),
        Cause::WriteLoad => {
            if !has_queue_in_front(model, id) {
                ways.push("a message queue for deferrable writes".into());
            }
            if matches!(spec, ComponentSpec::Shards(_)) {
                ways.push("more shards".into());
            } else {
                ways.push("sharding the writes".into());
            }
        }
        Cause::WorkersBehind => ways.push("more workers, if what they call has room".into()),
        Cause::LatencyFloor => {
            ways.push("moving that work out of the request (a queue)".into());
            ways.push("making it faster; more capacity does not lower this latency".into());
        }
        Cause::NotSaturated => {
            ways.push("removing what fails requests (faults, timeouts, limits), not more capacity".into())
        }
    }
    join(&ways)
}

fn read_relief(model: &Model, id: CompId, spec: &ComponentSpec, ways: &mut Vec<String>) {
    if !has_cache_in_front(model, id) {
        ways.push("a cache for popular reads".into());
    } else {
        ways.push("a larger cache (a higher hit ratio)".into());
    }
    match spec {
        ComponentSpec::Database(d) if d.replicas.is_some() => ways.push("another read replica".into()),
        ComponentSpec::Database(_) => ways.push("read replicas".into()),
        ComponentSpec::Shards(_) => ways.push("more shards".into()),
        ComponentSpec::LoadBalancer(_)
        | ComponentSpec::Service(_)
        | ComponentSpec::Queue(_)
        | ComponentSpec::Cdn(_)
        | ComponentSpec::ObjectStorage(_)
        | ComponentSpec::GeoDns(_)
        | ComponentSpec::Gateway(_)
        | ComponentSpec::Cache(_)
        | ComponentSpec::Pooler(_) => {}
    }
}

fn join(ways: &[String]) -> String {
    match ways {
        [] => String::new(),
        [a] => a.clone(),
        [a, b] => format!("{a} or {b}"),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}
