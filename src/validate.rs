//! Turns the serde input into a `Model`, collecting every problem rather than stopping at
//! the first, each against the key path it is about.

use crate::calls_model::{Plan, Target};
use crate::catalog::{Catalog, Profile};
use crate::components::load_balancer::LoadBalancer;
use crate::components::{op_rule, ComponentInput, ComponentSpec, OpRule};
use crate::diag::{did_you_mean, Problem};
use crate::dist::Dist;
use crate::engine::calls::Op;
use crate::input::calls::{CallsInput, StepInput};
use crate::input::ScenarioFile;
use crate::model::{Class, CompId, ComponentModel, Cost, Keys, LatencyMatrix, Limits, Load, Model, Users};
use crate::regions::{self, PlacementInput};
use crate::units::{parse_duration, Nanos, MIN_TIMER_NS};
use petgraph::graphmap::DiGraphMap;
use petgraph::visit::{depth_first_search, Control, DfsEvent};

/// What validation of one component needs to know about the rest of the scenario.
pub struct Resolver<'a> {
    pub comp_names: Vec<String>,
    pub comp_kinds: Vec<&'static str>,
    /// Per component, the primary a read-only replica sends writes to (`replica_of`).
    pub replica_of: Vec<Option<String>>,
    pub classes: Vec<String>,
    pub catalog: &'a Catalog,
    pub limits: Limits,
    pub problems: Vec<Problem>,
}

impl Resolver<'_> {
    pub fn problem(&mut self, path: &[&str], message: impl Into<String>, help: impl Into<String>) {
        self.problems.push(Problem::at(path, message, help));
    }

    pub fn duration(&mut self, path: &[&str], text: &str) -> Option<Nanos> {
        parse_duration(text)
            .map_err(|e| {
                let help = if e.contains("maximum") {
                    "durations range from 0 to 3650d; simulate a shorter span (see README, Input limits)"
                } else {
                    "write a number and a unit, such as \"250ms\", \"2m\" or \"1h30m\""
                };
                self.problem(path, e, help)
            })
            .ok()
    }

    /// The period of a timer (health checks, autoscaling, flushes, windows): a duration of at
    /// least `MIN_TIMER_NS`, so timer events cannot crowd out the requests.
    pub fn interval(&mut self, path: &[&str], text: &str) -> Option<Nanos> {
        let ns = self.duration(path, text)?;
        if ns < MIN_TIMER_NS {
            let key = path.last().copied().unwrap_or("interval");
            self.problem(
                path,
                format!("`{key}` = \"{text}\" is below the 1ms minimum for a periodic timer"),
                "use 1ms or more: real health checks and flushes run every 1 to 30 seconds",
            );
            return None;
        }
        Some(ns)
    }

    pub fn dist(&mut self, path: &[&str], text: &str) -> Option<Dist> {
        Dist::parse(text)
            .map_err(|e| {
                self.problem(
                    path,
                    format!("invalid distribution `{text}`: {e}"),
                    "for example \"exp(mean = 2ms)\", \"lognormal(mean = 6ms, cv = 1.0)\" or \"5ms\"",
                )
            })
            .ok()
    }

    /// A count that must be at least one.
    pub fn count(&mut self, path: &[&str], value: Option<u32>, default: u32) -> u32 {
        match value {
            Some(0) => {
                self.problem(path, format!("`{}` must be at least 1", path.last().unwrap_or(&"")), "use 1 or more");
                1
            }
            Some(v) => v,
            None => default,
        }
    }

    pub fn component(&mut self, path: &[&str], name: &str) -> Option<CompId> {
        if let Some(i) = self.comp_names.iter().position(|n| n == name) {
            return Some(i as CompId);
        }
        let help = match did_you_mean(name, self.comp_names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`? Components: {}", self.comp_names.join(", ")),
            None => format!("define [components.{name}], or use one of: {}", self.comp_names.join(", ")),
        };
        self.problem(path, format!("no component named `{name}`"), help);
        None
    }

    pub fn profile(&mut self, path: &[&str], name: &str) -> Option<Profile> {
        if let Some(p) = self.catalog.get(name) {
            return Some(p.clone());
        }
        let names: Vec<&str> = self.catalog.names().collect();
        let help = match did_you_mean(name, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("known profiles (models/instances.toml): {}", names.join(", ")),
        };
        self.problem(path, format!("unknown instance type `{name}`"), help);
        None
    }

    /// Cost from an instance type (if any), an optional price override and a pricing option
    /// (`pricing`, a discount from models/prices.toml; `spot` only where `spot_ok`: stateless
    /// instances).
    pub fn cost(
        &mut self,
        base: &[&str],
        instance_type: &Option<String>,
        instances: u32,
        usd: Option<f64>,
        pricing: &Option<String>,
        spot_ok: bool,
    ) -> Cost {
        let mut price = 0.0;
        if let Some(t) = instance_type {
            let path = [base, &["instance_type"]].concat();
            if let Some(p) = self.profile(&path, t) {
                price = p.usd_per_hour;
            }
        }
        if let Some(u) = usd {
            if !(u.is_finite() && u >= 0.0) {
                let path = [base, &["usd_per_hour"]].concat();
                self.problem(&path, "`usd_per_hour` must be zero or more", "give the hourly price of one instance");
            }
            price = u;
        }
        let option = pricing.as_deref().unwrap_or("on_demand");
        let path = [base, &["pricing"]].concat();
        let discount = match crate::prices::Prices::shipped().instance_pricing.discount(option) {
            Some(_) if option == "spot" && !spot_ok => {
                let help = "managed databases and caches sell no spot capacity: use `reserved_1y` or `on_demand`";
                self.problem(&path, "`spot` is for stateless instances", help);
                0.0
            }
            Some(d) => d,
            None => {
                let list = crate::prices::PRICING_OPTIONS.join(", ");
                let help = match did_you_mean(option, crate::prices::PRICING_OPTIONS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? Options: {list}"),
                    None => format!("one of {list} (discounts in models/prices.toml, [instance_pricing])"),
                };
                self.problem(&path, format!("unknown pricing `{option}`"), help);
                0.0
            }
        };
        Cost {
            instance_type: instance_type.clone(),
            instances,
            usd_per_hour_each: price * (1.0 - discount),
            usd_per_hour_on_demand_each: price,
        }
    }

    /// Resolves a `calls` key into one plan per request class.
    pub fn plans(&mut self, base: &[&str], calls: &Option<CallsInput>) -> Vec<Plan> {
        let n = self.classes.len();
        match calls {
            None => vec![Vec::new(); n],
            Some(CallsInput::All(steps)) => {
                let path = [base, &["calls"]].concat();
                let plan = self.plan(&path, steps);
                vec![plan; n]
            }
            Some(CallsInput::PerClass(map)) => {
                let mut out = vec![Vec::new(); n];
                for (class, steps) in map {
                    let path = [base, &["calls", class.as_str()]].concat();
                    match self.classes.iter().position(|c| c == class) {
                        Some(i) => out[i] = self.plan(&path, steps),
                        None => {
                            let help = format!("request classes are: {}", self.classes.join(", "));
                            self.problem(&path, format!("`{class}` is not a request class"), help);
                        }
                    }
                }
                out
            }
        }
    }

    /// Each call is checked at its own element (`calls.1`, `calls.2.0`), so a mistake in a
    /// multi-line array is reported on its own line.
    fn plan(&mut self, path: &[&str], steps: &[StepInput]) -> Plan {
        let mut plan = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let i = i.to_string();
            let at = [path, &[i.as_str()]].concat();
            let targets: Vec<Target> = match step {
                StepInput::One(s) => self.target(&at, s).into_iter().collect(),
                StepInput::Parallel(v) => v
                    .iter()
                    .enumerate()
                    .filter_map(|(j, s)| self.target(&[&at[..], &[j.to_string().as_str()]].concat(), s))
                    .collect(),
            };
            if !targets.is_empty() {
                plan.push(targets);
            }
        }
        plan
    }

    fn target(&mut self, path: &[&str], text: &str) -> Option<Target> {
        let (name, op_text) = text.split_once('.').map_or((text, None), |(n, o)| (n, Some(o)));
        let comp = self.component(path, name)?;
        let op = match op_text {
            None => Op::Default,
            Some("read") => Op::Read,
            Some("write") => Op::Write,
            Some(other) => {
                self.problem(path, format!("unknown operation `{other}` in `{text}`"), "use `.read` or `.write`");
                return None;
            }
        };
        let kind = self.comp_kinds[comp as usize];
        match (op_rule(kind), op) {
            (OpRule::ReadWrite, Op::Default) => self.problem(
                path,
                format!("`{text}` does not say whether it reads or writes {kind} `{name}`"),
                format!("write `{name}.read` or `{name}.write`"),
            ),
            (OpRule::Plain, Op::Read | Op::Write) => self.problem(
                path,
                format!("a {kind} takes no operation, but `{text}` gives one"),
                format!("write `{name}`"),
            ),
            (OpRule::ReadWrite, Op::Write) if self.replica_of[comp as usize].is_some() => {
                let primary = self.replica_of[comp as usize].clone().unwrap_or_default();
                self.problem(
                    path,
                    format!("`{name}` is a read replica (`replica_of = \"{primary}\"`) and takes no writes"),
                    format!("writes go to the primary: call `{primary}.write`"),
                )
            }
            _ => return Some(Target { comp, op }),
        }
        None
    }
}

/// Builds the model from the parsed file and its per-kind component inputs.
pub fn build_model(
    file: &ScenarioFile,
    comps: &[(String, ComponentInput)],
    comp_regions: &[Option<String>],
    catalog: &Catalog,
) -> Result<Model, Vec<Problem>> {
    let mut r = Resolver {
        comp_names: comps.iter().map(|(n, _)| n.clone()).collect(),
        comp_kinds: comps.iter().map(|(_, c)| c.kind_name()).collect(),
        replica_of: comps.iter().map(|(_, c)| c.replica_of()).collect(),
        classes: Vec::new(),
        catalog,
        limits: limits(file),
        problems: Vec::new(),
    };
    let classes = classes(file, &mut r);
    r.classes = classes.iter().map(|c| c.name.clone()).collect();
    let s = &file.scenario;
    let parsed_duration = r.duration(&["scenario", "duration"], &s.duration);
    let duration = parsed_duration.unwrap_or(1);
    let warmup_auto = s.warmup.as_deref() == Some("auto");
    let warmup = match s.warmup.as_deref() {
        Some("auto") | None => 0,
        Some(w) => r.duration(&["scenario", "warmup"], w).unwrap_or(0),
    };
    if duration == 0 {
        r.problem(&["scenario", "duration"], "`duration` must be greater than zero", "for example \"10m\"");
    }
    if parsed_duration.is_some() && warmup >= duration && duration > 0 {
        r.problem(
            &["scenario", "warmup"],
            "`warmup` must be shorter than `duration`",
            "warm-up is discarded; make it a fraction of the run",
        );
    }
    let window = s.window.as_deref().and_then(|w| r.interval(&["scenario", "window"], w)).unwrap_or(1_000_000_000);
    let drain = s.drain.as_deref().and_then(|d| r.duration(&["scenario", "drain"], d)).unwrap_or(60_000_000_000);
    let replications = r.count(&["scenario", "replications"], s.replications, 1);
    if let Err(e) = crate::runner::check_replications(replications, "`replications`") {
        r.problem(&["scenario", "replications"], e, "10 to 30 replications give a useful interval");
    }
    for (name, _) in comps {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            r.problem(
                &["components", name],
                format!("component name `{name}` has characters other than letters, digits, `_` and `-`"),
                "rename it, for example `app_eu`",
            );
        }
    }
    let components: Vec<ComponentModel> = comps
        .iter()
        .filter_map(|(name, input)| {
            let (spec, cost) = input.validate(name, &mut r)?;
            Some(ComponentModel { name: name.clone(), spec, cost })
        })
        .collect();
    let timeout = file.load.timeout.as_deref().and_then(|t| r.duration(&["load", "timeout"], t));
    let (mut latency, explicit) = links(file, &mut r);
    let keys = keys(file, &mut r);
    let users = users(file, &mut r);
    let sizes = crate::sizes::class_sizes(file, &classes, &mut r);
    let names: Vec<&str> = comps.iter().map(|(n, _)| n.as_str()).collect();
    let call_sizes = crate::sizes::call_sizes(file, &names, &mut r);
    let placement = placement(file, &components, comp_regions, &users, &mut r);
    placement.fill_latency(&mut latency, &explicit);
    if components.len() == comps.len() {
        crate::components::remote_replica::check(&components, comp_regions, &placement, &mut r);
    }
    for c in &components {
        c.spec.check_scale(&c.name, keys.count(), users.count, &mut r);
    }
    let (rate, arrivals) = crate::traffic::build::arrivals(&file.load, &mut r, &users, duration);
    let mut faults = Vec::new();
    if components.len() == comps.len() {
        balancer_checks(&components, &users, &mut r);
        faults = crate::faults::validate(&file.faults, &components, &placement, duration, &mut r);
    }
    if !r.problems.is_empty() || components.len() != comps.len() {
        return Err(r.problems);
    }
    let entry = graph_checks(file, &components, &mut r);
    if let Some(e) = entry {
        entry_checks(&components, e, &mut r);
    }
    let user_link_ns = entry.map_or_else(Vec::new, |e| user_links(&components, e, &users, &placement));
    let model = match entry {
        Some(entry) if r.problems.is_empty() => Model {
            name: s.name.clone(),
            description: s.description.clone(),
            seed: s.seed.unwrap_or(1),
            duration,
            warmup,
            warmup_auto,
            drain,
            window,
            replications,
            load: Load { rate_per_s: rate, entry, timeout, arrivals },
            keys,
            users,
            draws_keys: file.keys.is_some() || components.iter().any(|c| c.spec.needs_keys()),
            draws_users: file.users.is_some() || components.iter().any(|c| c.spec.needs_users()),
            classes,
            components,
            latency,
            limits: r.limits,
            placement,
            user_link_ns,
            sizes,
            call_sizes,
            faults,
        },
        _ => return Err(r.problems),
    };
    // Last, on the whole model: a run that could only stop at `max_events` is refused here.
    crate::budget::check(&model).map_err(|b| vec![Problem::at(&["scenario", "duration"], b.message(), b.help())])?;
    Ok(model)
}

/// Checks a balancer against its backend: a weighted one needs one weight per instance.
fn balancer_checks(comps: &[ComponentModel], users: &Users, r: &mut Resolver) {
    for c in comps {
        let ComponentSpec::LoadBalancer(lb) = &c.spec else { continue };
        let backend = &comps[lb.backend as usize];
        let most = crate::components::sessions::MAX_STICKY_USERS;
        if lb.policy == crate::components::load_balancer::Policy::Sticky && users.count > most {
            r.problem(
                &["components", &c.name, "policy"],
                format!("a sticky balancer pins each user, and {} users is more than {most}", users.count),
                "lower [users] count (the users that matter for sessions), or use another policy",
            );
        }
        if !lb.weights.is_empty() && backend.spec.max_instances() != backend.spec.instances() {
            r.problem(
                &["components", &c.name, "weights"],
                format!("`weights` name fixed instances, but `{}` autoscales", backend.name),
                "use another policy (least_connections spreads by load) with an autoscaled pool",
            );
            continue;
        }
        if lb.weights.is_empty() {
            continue; // a weighted balancer without weights is reported at its `policy`
        }
        let backend = &comps[lb.backend as usize];
        let instances = backend.spec.instances();
        if let Err(e) = LoadBalancer::validate_against_backend(lb, instances) {
            let help = format!(
                "give exactly {instances} weight(s), one per instance of `{}`, or change its `instances`",
                backend.name
            );
            r.problem(&["components", &c.name, "weights"], format!("`weights` has {e} of `{}`", backend.name), help);
        }
    }
}

fn keys(file: &ScenarioFile, r: &mut Resolver) -> Keys {
    let Some(k) = &file.keys else { return Keys::Zipf { count: 1_000_000, exponent: 1.0 } };
    if k.count == 0 {
        r.problem(&["keys", "count"], "`count` must be at least 1", "the number of distinct keys, e.g. 1_000_000");
    }
    let count = k.count.max(1);
    match k.popularity.as_deref().unwrap_or("zipf") {
        "zipf" => {
            let exponent = k.zipf_exponent.unwrap_or(1.0);
            if !(exponent.is_finite() && exponent >= 0.0) {
                r.problem(
                    &["keys", "zipf_exponent"],
                    "`zipf_exponent` must be zero or more",
                    "1.0 is typical of web content",
                );
            }
            Keys::Zipf { count, exponent: exponent.max(0.0) }
        }
        "uniform" => {
            if k.zipf_exponent.is_some() {
                r.problem(
                    &["keys", "zipf_exponent"],
                    "`zipf_exponent` only applies to `popularity = \"zipf\"`",
                    "remove it",
                );
            }
            Keys::Uniform { count }
        }
        other => {
            r.problem(&["keys", "popularity"], format!("unknown popularity `{other}`"), "use \"zipf\" or \"uniform\"");
            Keys::Uniform { count }
        }
    }
}

fn users(file: &ScenarioFile, r: &mut Resolver) -> Users {
    let Some(u) = &file.users else {
        // Daily active users are the user base, unless [users] says otherwise.
        return match file.load.daily_active_users {
            Some(n) if n > 0 => Users { count: n, ..Users::default() },
            _ => Users::default(),
        };
    };
    if u.count == 0 {
        r.problem(&["users", "count"], "`count` must be at least 1", "the number of distinct users");
    }
    let dedicated = dedicated_users(u, r);
    if u.regions.is_empty() {
        return Users { count: u.count.max(1), regions: Users::default().regions, dedicated };
    }
    let total: f64 = u.regions.values().sum();
    if u.regions.values().any(|s| !(s.is_finite() && *s > 0.0)) || (total - 1.0).abs() > 1e-6 {
        r.problem(
            &["users", "regions"],
            format!("region shares must be positive and sum to 1 (they sum to {total})"),
            "for example `regions = { us-east = 0.6, eu-west = 0.4 }`",
        );
    }
    Users { count: u.count.max(1), regions: u.regions.iter().map(|(k, v)| (k.clone(), *v)).collect(), dedicated }
}

/// `dedicated = { scraper = 1 }`: per class, the ids of users of its own (after the `count`
/// ordinary users), so that a class can be one client.
fn dedicated_users(u: &crate::input::UsersSection, r: &mut Resolver) -> Vec<Option<(u64, u64)>> {
    if u.dedicated.is_empty() {
        return Vec::new();
    }
    let mut out = vec![None; r.classes.len()];
    let mut next = u.count.max(1);
    for (class, n) in &u.dedicated {
        let path = ["users", "dedicated", class.as_str()];
        let Some(i) = r.classes.iter().position(|c| c == class) else {
            let help = format!("request classes are: {}", r.classes.join(", "));
            r.problem(&path, format!("`{class}` is not a request class"), help);
            continue;
        };
        if *n == 0 {
            r.problem(&path, "a class needs at least 1 dedicated user", "for example `scraper = 1`");
            continue;
        }
        out[i] = Some((next, *n));
        next = next.saturating_add(*n);
    }
    out
}

fn limits(file: &ScenarioFile) -> Limits {
    let d = Limits::default();
    let l = &file.limits;
    Limits {
        max_in_flight: l.max_in_flight.unwrap_or(d.max_in_flight).max(1),
        max_calls: l.max_calls.unwrap_or(d.max_calls).max(1),
        max_events: l.max_events.unwrap_or(d.max_events).max(1),
        max_queue: l.max_queue.unwrap_or(d.max_queue),
    }
}

fn classes(file: &ScenarioFile, r: &mut Resolver) -> Vec<Class> {
    if file.requests.is_empty() {
        return vec![Class { name: "default".into(), share: 1.0 }];
    }
    if file.requests.len() > 250 {
        r.problem(&["requests"], "more than 250 request classes", "merge classes that behave alike");
    }
    let mut total = 0.0;
    for (name, share) in &file.requests {
        if !(share.is_finite() && *share > 0.0) {
            r.problem(
                &["requests", name],
                format!("share of `{name}` must be greater than zero"),
                "remove the class, or give it a positive share",
            );
        }
        total += share;
    }
    if (total - 1.0).abs() > 1e-6 {
        let list: Vec<String> = file.requests.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        r.problem(
            &["requests"],
            format!("request shares sum to {total}, not 1 ({})", list.join(", ")),
            "make the shares add up to 1.0",
        );
    }
    file.requests.iter().map(|(n, s)| Class { name: n.clone(), share: *s }).collect()
}

/// The matrix of explicit links, and which pairs they set.
fn links(file: &ScenarioFile, r: &mut Resolver) -> (LatencyMatrix, Vec<(CompId, CompId)>) {
    let mut m = LatencyMatrix::zero(r.comp_names.len());
    let mut explicit = Vec::new();
    for (i, link) in file.links.iter().enumerate() {
        let idx = i.to_string();
        let path = ["links", idx.as_str(), "between"];
        let a = r.component(&path, &link.between[0]);
        let b = r.component(&path, &link.between[1]);
        let lat = r.duration(&["links", idx.as_str(), "latency"], &link.latency);
        if let (Some(a), Some(b), Some(lat)) = (a, b, lat) {
            m.set(a, b, lat);
            explicit.push((a, b));
        }
    }
    (m, explicit)
}

/// Where every component runs (`region`, `[scenario] region`, `[users] regions`).
fn placement(
    file: &ScenarioFile,
    components: &[ComponentModel],
    comp_regions: &[Option<String>],
    users: &crate::model::Users,
    r: &mut Resolver,
) -> crate::model::Placement {
    let specs: Vec<ComponentSpec> = components.iter().map(|c| c.spec.clone()).collect();
    let home = file.scenario.region.as_deref();
    let users_named = file.users.as_ref().is_some_and(|u| !u.regions.is_empty());
    regions::place(r, &specs, users, &PlacementInput { comp_regions, home, users_named })
}

/// The one-way latency from each user region to the entry, when regions are modelled.
fn user_links(
    components: &[ComponentModel],
    entry: CompId,
    users: &crate::model::Users,
    placement: &crate::model::Placement,
) -> Vec<crate::units::Nanos> {
    if placement.user_region.is_empty() {
        return Vec::new();
    }
    let spec = &components[entry as usize].spec;
    (0..users.regions.len() as u8).map(|u| spec.user_link_ns(u, entry, placement)).collect()
}

/// Kinds that only make sense where users' traffic enters (a CDN edge, a geo-DNS) must be
/// the entry. One exception: a geo-DNS may be the origin of the entry CDN, as a latency-routed
/// origin record is resolved at the edge, in the user's region, so the user's region still
/// picks the target (and the DNS pays the user-region-to-target network, the edge none).
/// A kind that is everywhere at once (a CDN, a geo-DNS) adds the legs between the user's
/// region and where it sends a request itself, so it must be reached in the user's region:
/// as the entry, or called only by kinds that are everywhere too (a geo-DNS as a CDN's
/// origin: the edge that calls it is in the user's region).
fn entry_checks(comps: &[ComponentModel], entry: CompId, r: &mut Resolver) {
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); comps.len()];
    for (i, c) in comps.iter().enumerate() {
        for d in c.spec.downstream() {
            callers[d as usize].push(i);
        }
    }
    let reached_in_user_region = |i: usize| {
        i as CompId == entry || (!callers[i].is_empty() && callers[i].iter().all(|&c| comps[c].spec.everywhere()))
    };
    for (i, c) in comps.iter().enumerate() {
        if c.spec.everywhere() && !reached_in_user_region(i) {
            let kind = c.spec.kind_name();
            r.problem(
                &["components", &c.name, "kind"],
                format!("a {kind} is what users' traffic reaches first, but `{}` is not the entry", c.name),
                format!("set `entry = \"{}\"` under [load], or call it only from a CDN (its edges are in the user's region)", c.name),
            );
        }
    }
}

/// A cycle of calls as `[a, b, ..., a]`: the first back edge of a depth-first search in file
/// order, so the call reported is the one that loops back.
fn find_cycle(g: &DiGraphMap<CompId, ()>, n: usize) -> Option<Vec<CompId>> {
    let mut parent = vec![0; n];
    let found = depth_first_search(g, g.nodes(), |event| match event {
        DfsEvent::TreeEdge(u, v) => {
            parent[v as usize] = u;
            Control::Continue
        }
        DfsEvent::BackEdge(u, v) => Control::Break((u, v)),
        _ => Control::Continue,
    });
    let (u, v) = found.break_value()?;
    let mut cycle = vec![u];
    while cycle[cycle.len() - 1] != v {
        cycle.push(parent[cycle[cycle.len() - 1] as usize]);
    }
    cycle.reverse();
    cycle.push(v);
    Some(cycle)
}

/// Finds the entry, then rejects cycles of calls and components nothing reaches.
fn graph_checks(file: &ScenarioFile, comps: &[ComponentModel], r: &mut Resolver) -> Option<CompId> {
    let mut g = DiGraphMap::<CompId, ()>::new();
    for i in 0..comps.len() {
        g.add_node(i as CompId);
    }
    for (i, c) in comps.iter().enumerate() {
        for t in c.spec.downstream() {
            g.add_edge(i as CompId, t, ());
        }
    }
    if let Some(cycle) = find_cycle(&g, comps.len()) {
        let names: Vec<&str> = cycle.iter().map(|i| comps[*i as usize].name.as_str()).collect();
        let (from, to) = (names[names.len() - 2], names[names.len() - 1]);
        let key =
            comps[cycle[cycle.len() - 2] as usize].spec.calls_key().expect("a component in a cycle calls another");
        let help = format!("calls must form a tree or a DAG: remove the call from `{from}` to `{to}`");
        r.problem(&["components", from, key], format!("calls form a cycle: {}", names.join(" -> ")), help);
        return None;
    }
    let entry = match &file.load.entry {
        Some(e) => r.component(&["load", "entry"], e)?,
        None => {
            let roots: Vec<CompId> =
                g.nodes().filter(|n| g.neighbors_directed(*n, petgraph::Incoming).next().is_none()).collect();
            if roots.len() != 1 {
                let names: Vec<&str> = roots.iter().map(|i| comps[*i as usize].name.as_str()).collect();
                r.problem(
                    &["load"],
                    format!(
                        "cannot tell where traffic enters: {} components are called by nothing ({})",
                        roots.len(),
                        names.join(", ")
                    ),
                    "set `entry = \"...\"` under [load], and connect or remove the others",
                );
                return None;
            }
            roots[0]
        }
    };
    let mut reached = Vec::new();
    let mut dfs = petgraph::visit::Dfs::new(&g, entry);
    while let Some(n) = dfs.next(&g) {
        reached.push(n);
    }
    for (i, c) in comps.iter().enumerate() {
        if !reached.contains(&(i as CompId)) {
            r.problem(
                &["components", &c.name],
                format!("nothing reaches component `{}` from the entry `{}`", c.name, comps[entry as usize].name),
                "call it from another component, or remove it",
            );
        }
    }
    Some(entry)
}
