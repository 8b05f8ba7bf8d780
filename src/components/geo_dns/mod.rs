//! `kind = "geo_dns"`: latency-based DNS routing (Route 53 latency records, NS1, Cloudflare
//! geo steering). Each user is sent to the entry of the nearest region that is up; the user
//! then talks to that region directly, so the request pays the network between the user's
//! region and the chosen target's, both ways. The lookup itself is cached by the client and
//! costs nothing per request.
//!
//! Health: each target has an `up` flag. `down = [...]` takes targets out of rotation for the
//! whole run (a failed health check); at run time `GeoDns::set_up` toggles a target. With no
//! target up, requests are rejected.
//!
//! `health_check = { interval = "10s", failures = 3 }` (the balancer's shape, see `health`)
//! checks every target each `interval`: a target that is down (a `region_outage` of its
//! region, a `component_down`, every instance crashed) leaves the rotation after `failures`
//! failed checks, and until then keeps its users (who fail); it returns after one passing
//! check. Detection and recovery are reported to the fault that took it down. Without
//! `health_check` the DNS never notices a target going down: its users fail until it serves
//! again (DNS records with no health check attached behave so).

mod kind;
use super::health::{detected, recovered, HealthCheckInput, HealthCheckSpec};
use super::KindStats;
use crate::engine::calls::{CallId, Op, Outcome, NO_INSTANCE};
use crate::engine::event::Event;
use crate::engine::membership::{Watcher, NO_FAULT};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::model::{CompId, Cost, Model};
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[&[
        ("routed_to_{target}", "requests sent to that target"),
        ("targets_up", "targets in rotation at the end"),
        ("no_target_up", "requests that found no target in rotation"),
    ]],
};

/// Geo-DNS: sends each user to the target in the user's region (or the nearest one up), and routes around a region whose health checks fail.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoDnsInput {
    /// The component kind.
    pub kind: String,
    /// The entry of each region's stack (`["lb_us", "lb_eu"]`), each placed with `region`.
    pub targets: Vec<String>,
    /// Targets out of rotation from the start (their health check fails).
    pub down: Option<Vec<String>>,
    /// Checks of every target: `{ interval = "10s", failures = 3 }` (default failures 3).
    /// Absent: the DNS never notices a target going down.
    pub health_check: Option<HealthCheckInput>,
}

#[derive(Clone, Debug)]
pub struct GeoDnsSpec {
    pub targets: Vec<CompId>,
    pub up: Vec<bool>,
    pub health: Option<HealthCheckSpec>,
}

impl GeoDnsInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(GeoDnsSpec, Cost)> {
        let base = ["components", name];
        if self.targets.is_empty() {
            let path = [base[0], base[1], "targets"];
            r.problem(&path, "a geo-DNS needs at least one target", "for example [\"lb_us\", \"lb_eu\"]");
        }
        let mut targets = Vec::new();
        let mut ok = true;
        for (i, t) in self.targets.iter().enumerate() {
            let idx = i.to_string();
            let path = [base[0], base[1], "targets", idx.as_str()];
            match r.component(&path, t) {
                Some(c) if targets.contains(&c) => {
                    r.problem(&path, format!("`{t}` is listed twice"), "list each region's entry once");
                    ok = false;
                }
                Some(c) if matches!(super::op_rule(r.comp_kinds[c as usize]), super::OpRule::ReadWrite) => {
                    let kind = r.comp_kinds[c as usize];
                    let help = "name the load balancer or service each region's traffic enters";
                    r.problem(&path, format!("a geo-DNS sends users to an entry, not to a {kind}"), help);
                    ok = false;
                }
                Some(c) => targets.push(c),
                None => ok = false,
            }
        }
        let mut up = vec![true; targets.len()];
        for (i, d) in self.down.iter().flatten().enumerate() {
            let idx = i.to_string();
            let path = [base[0], base[1], "down", idx.as_str()];
            match self.targets.iter().position(|t| t == d) {
                Some(k) if k < up.len() => up[k] = false,
                _ => {
                    let help = format!("`down` names targets: {}", self.targets.join(", "));
                    r.problem(&path, format!("`{d}` is not one of the targets"), help);
                }
            }
        }
        let health = self.health_check.as_ref().and_then(|h| h.validate(&[base[0], base[1], "health_check"], r));
        if self.health_check.is_some() && health.is_none() {
            ok = false;
        }
        ok.then_some((GeoDnsSpec { targets, up, health }, Cost::default()))
    }
}

pub struct GeoDns {
    id: CompId,
    targets: Vec<CompId>,
    up: Vec<bool>,
    /// Out of rotation for the whole run (`down`): never checked back in.
    static_down: Vec<bool>,
    health: Option<HealthCheckSpec>,
    /// Consecutive failed checks per target, and the fault that failed them.
    fails: Vec<u32>,
    failed_by: Vec<u16>,
    /// Per user region: target indices from nearest to farthest.
    preference: Vec<Vec<u16>>,
    /// One way between user region `u` and target `t`: `leg_ns[u * targets + t]`.
    leg_ns: Vec<Nanos>,
    names: Vec<String>,
    routed: Vec<u64>,
    no_target_up: u64,
}

impl GeoDns {
    pub fn new(spec: &GeoDnsSpec, id: CompId, model: &Model) -> Self {
        let p = &model.placement;
        let n = spec.targets.len();
        let users = p.user_region.len().max(1);
        let mut preference = Vec::with_capacity(users);
        let mut leg_ns = Vec::with_capacity(users * n);
        for u in 0..users {
            let legs: Vec<Nanos> = spec.targets.iter().map(|t| p.user_to(u as u8, *t)).collect();
            let mut order: Vec<u16> = (0..n as u16).collect();
            // Nearest first; equal distances keep the order the targets are listed in.
            order.sort_by_key(|t| legs[*t as usize]);
            preference.push(order);
            leg_ns.extend(legs);
        }
        GeoDns {
            id,
            targets: spec.targets.clone(),
            up: spec.up.clone(),
            static_down: spec.up.iter().map(|u| !u).collect(),
            health: spec.health,
            fails: vec![0; n],
            failed_by: vec![NO_FAULT; n],
            preference,
            leg_ns,
            names: spec.targets.iter().map(|t| model.components[*t as usize].name.clone()).collect(),
            routed: vec![0; n],
            no_target_up: 0,
        }
    }

    /// Puts target `index` (in `targets` order) in or out of rotation.
    pub fn set_up(&mut self, index: usize, up: bool) {
        self.up[index] = up;
    }

    /// Checked targets report to the DNS, not at once (see `membership::Watcher`).
    pub fn start(&mut self, ctx: &mut Ctx) {
        let Some(h) = self.health else { return };
        for t in &self.targets {
            ctx.members[*t as usize].watcher = Watcher::HealthChecks;
        }
        ctx.schedule_periodic(h.interval, Event::Timer(self.id, 0));
    }

    /// A round of health checks.
    pub fn timer(&mut self, ctx: &mut Ctx, _tag: u32) {
        let Some(h) = self.health else { return };
        ctx.schedule_periodic(h.interval, Event::Timer(self.id, 0));
        for i in 0..self.targets.len() {
            if self.static_down[i] {
                continue;
            }
            let (healthy, fault) = ctx.serving(self.targets[i]);
            if healthy {
                if !self.up[i] || self.fails[i] > 0 {
                    recovered(&mut ctx.faults, self.failed_by[i], ctx.now);
                }
                (self.up[i], self.fails[i]) = (true, 0);
            } else if self.up[i] {
                self.fails[i] += 1;
                self.failed_by[i] = fault;
                if self.fails[i] >= h.failures {
                    self.up[i] = false;
                    detected(&mut ctx.faults, fault, ctx.now);
                }
            }
        }
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let region = ctx.requests.get(ctx.calls.get(id).req).region as usize;
        let u = region.min(self.preference.len() - 1);
        let Some(&t) = self.preference[u].iter().find(|t| self.up[**t as usize]) else {
            self.no_target_up += 1;
            return ctx.reply(id, Outcome::Rejected);
        };
        ctx.calls.get_mut(id).instance = t;
        let leg = self.leg_ns[u * self.targets.len() + t as usize];
        if ctx.call_out_after(id, self.targets[t as usize], Op::Default, NO_INSTANCE, None, leg).is_some() {
            self.routed[t as usize] += 1;
        } else {
            ctx.reply(id, Outcome::Rejected);
        }
    }

    /// The target's answer travels back to the user's region.
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        let call = *ctx.calls.get(id);
        let region = ctx.requests.get(call.req).region as usize;
        let u = region.min(self.preference.len() - 1);
        let leg = self.leg_ns[u * self.targets.len() + call.instance as usize];
        ctx.reply_after(id, outcome, leg);
    }

    pub fn totals(&mut self, _now: Nanos) -> Totals {
        Totals::default()
    }

    pub fn sync(&mut self, _now: Nanos) {}

    pub fn reset_stats(&mut self, _now: Nanos) {
        self.routed.iter_mut().for_each(|r| *r = 0);
        self.no_target_up = 0;
    }

    pub fn stats(&self, _elapsed: Nanos) -> KindStats {
        let mut s = KindStats::default();
        for (name, n) in self.names.iter().zip(&self.routed) {
            s.extra.insert(format!("routed_to_{name}"), *n as f64);
        }
        s.extra.insert("targets_up".into(), self.up.iter().filter(|u| **u).count() as f64);
        s.extra.insert("no_target_up".into(), self.no_target_up as f64);
        s.rejected = self.no_target_up;
        s
    }
}
