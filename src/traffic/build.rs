//! Validation of `[load]`: the level (a rate, or daily users), the shapes and how they
//! combine, or a closed model; produces the model's `Arrivals`. See `input::shapes` for the
//! syntax and its meaning.

use super::curve::{Curve, Part};
use super::kinds;
use super::shape::Factor;
use crate::diag::did_you_mean;
use crate::dist::Dist;
use crate::input::shapes::ShapeInput;
use crate::input::LoadSection;
use crate::model::Users;
use crate::units::{parse_rate, Nanos, NS_PER_S};
use crate::validate::Resolver;

/// How requests arrive.
#[derive(Clone, Debug)]
pub enum Arrivals {
    /// Poisson at the constant `Load::rate_per_s`.
    Poisson,
    /// Non-homogeneous Poisson following a curve.
    Shaped(Curve),
    /// A closed model: `users` users, each waiting a think time after each request ends.
    Closed { users: u32, think: Dist },
}

/// Keys each kind of shape takes (besides `kind`).
const KEYS: &[(&str, &[&str])] = &[
    ("constant", &["rate", "factor", "mix"]),
    ("stages", &["from", "stages", "mix"]),
    ("diurnal", &["peak_hour", "peak_to_trough", "weights", "start_hour", "utc_offsets", "mix"]),
    ("spike", &["start", "ramp_up", "multiplier", "hold", "decay", "mix"]),
    ("growth", &["growth", "mix"]),
    ("replay", &["file", "scale", "interpolate", "mix"]),
];

/// A shape checked on its own, before combining.
struct Shape {
    path: Vec<String>,
    factor: Factor,
    /// In requests per second (stages, replay, constant rate), not a factor.
    is_rate: bool,
    /// Never below 1, so the traffic it adds can carry a mix in a product.
    adds: bool,
    mix: Option<Vec<f64>>,
}

fn present(s: &ShapeInput) -> Vec<&'static str> {
    let keys = [
        ("rate", s.rate.is_some()),
        ("factor", s.factor.is_some()),
        ("from", s.from.is_some()),
        ("stages", s.stages.is_some()),
        ("peak_hour", s.peak_hour.is_some()),
        ("peak_to_trough", s.peak_to_trough.is_some()),
        ("weights", s.weights.is_some()),
        ("start_hour", s.start_hour.is_some()),
        ("utc_offsets", s.utc_offsets.is_some()),
        ("start", s.start.is_some()),
        ("ramp_up", s.ramp_up.is_some()),
        ("multiplier", s.multiplier.is_some()),
        ("hold", s.hold.is_some()),
        ("decay", s.decay.is_some()),
        ("growth", s.growth.is_some()),
        ("file", s.file.is_some()),
        ("scale", s.scale.is_some()),
        ("interpolate", s.interpolate.is_some()),
        ("mix", s.mix.is_some()),
    ];
    keys.iter().filter(|(_, p)| *p).map(|(k, _)| *k).collect()
}

/// A path below `base`, as the resolver wants it.
pub(super) fn at<'a>(base: &'a [String], key: &'a str) -> Vec<&'a str> {
    base.iter().map(String::as_str).chain(std::iter::once(key)).collect()
}

/// Validates `[load]`: returns the mean rate over the run (zero for a closed model) and how
/// requests arrive.
pub fn arrivals(load: &LoadSection, r: &mut Resolver, users: &Users, duration: Nanos) -> (f64, Arrivals) {
    if load.concurrent_users.is_some() || load.think_time.is_some() {
        return closed(load, r);
    }
    let level = level(load, r);
    let shapes: Vec<Shape> = load.all_shapes().into_iter().filter_map(|(path, s)| shape(path, s, r, users)).collect();
    if load.shape.is_some() && !load.shapes.is_empty() {
        r.problem(
            &["load", "shape"],
            "both `[load.shape]` and `[[load.shapes]]` are given",
            "list every shape as `[[load.shapes]]`",
        );
    }
    if shapes.is_empty() {
        if load.combine.is_some() {
            r.problem(&["load", "combine"], "`combine` needs shapes", "add `[[load.shapes]]`, or remove `combine`");
        }
        return match level {
            Some(rate) => (rate, Arrivals::Poisson),
            None => {
                if load.shape.is_none() && load.shapes.is_empty() && r.problems.is_empty() {
                    r.problem(
                        &["load"],
                        "[load] does not say how much traffic arrives",
                        "add `rate = \"800/s\"`, `daily_active_users` with `requests_per_user_per_day`, or `concurrent_users` with `think_time`",
                    );
                }
                (1.0, Arrivals::Poisson)
            }
        };
    }
    let regional: Vec<&Shape> = shapes.iter().filter(|s| is_regional(&s.factor)).collect();
    if regional.len() > 1 {
        let p: Vec<&str> = at(&regional[1].path, "utc_offsets");
        r.problem(
            &p,
            "only one diurnal shape may follow the regions' time zones",
            "give `utc_offsets` to one diurnal shape",
        );
    }
    let parts = match load.combine.as_deref().unwrap_or("product") {
        "product" => product(shapes, level, r),
        "sum" => sum(shapes, level, r),
        other => {
            r.problem(&["load", "combine"], format!("unknown `combine = \"{other}\"`"), "use \"product\" or \"sum\"");
            Vec::new()
        }
    };
    if parts.is_empty() {
        return (1.0, Arrivals::Poisson);
    }
    let curve = Curve::new(parts);
    let secs = duration as f64 / NS_PER_S;
    let mean = if secs > 0.0 { curve.integral(0.0, secs) / secs } else { 0.0 };
    if mean <= 0.0 && r.problems.is_empty() {
        r.problem(&["load"], "the shapes give no traffic during the run", "check the shapes' rates and start times");
    }
    (mean, Arrivals::Shaped(curve))
}

fn is_regional(f: &Factor) -> bool {
    matches!(f, Factor::Diurnal(d) if d.regions.len() > 1)
}

fn regional_index(factors: &[(Factor, bool)]) -> Option<usize> {
    factors.iter().position(|(f, _)| is_regional(f))
}

fn closed(load: &LoadSection, r: &mut Resolver) -> (f64, Arrivals) {
    let others = [
        ("rate", load.rate.is_some()),
        ("daily_active_users", load.daily_active_users.is_some()),
        ("requests_per_user_per_day", load.requests_per_user_per_day.is_some()),
        ("combine", load.combine.is_some()),
        ("shape", load.shape.is_some()),
        ("shapes", !load.shapes.is_empty()),
    ];
    for (key, _) in others.iter().filter(|(_, p)| *p) {
        r.problem(
            &["load", key],
            format!("`{key}` does not apply to a closed model (`concurrent_users`)"),
            "a closed model's load is set by its users and their think time: remove it, or remove `concurrent_users` and `think_time`",
        );
    }
    let users = match load.concurrent_users {
        None => {
            r.problem(&["load", "think_time"], "`think_time` needs `concurrent_users`", "add `concurrent_users = 500`");
            1
        }
        Some(0) => {
            r.problem(&["load", "concurrent_users"], "`concurrent_users` must be at least 1", "use 1 or more");
            1
        }
        Some(n) if n > r.limits.max_in_flight => {
            r.problem(
                &["load", "concurrent_users"],
                format!("{n} users is more than `max_in_flight` ({})", r.limits.max_in_flight),
                "raise [limits] max_in_flight, or use fewer users",
            );
            n
        }
        Some(n) => n,
    };
    let think = match &load.think_time {
        Some(t) => r.dist(&["load", "think_time"], t),
        None => {
            r.problem(
                &["load", "concurrent_users"],
                "`concurrent_users` needs a `think_time`",
                "add `think_time = \"exp(mean = 5s)\"`: the pause between a reply and the user's next request",
            );
            None
        }
    };
    (0.0, Arrivals::Closed { users, think: think.unwrap_or(Dist::Constant(1)) })
}

/// The level factor shapes scale: `rate`, or daily users times requests per user per day.
fn level(load: &LoadSection, r: &mut Resolver) -> Option<f64> {
    let rate = load.rate.as_ref().and_then(|t| {
        parse_rate(t).map_err(|e| r.problem(&["load", "rate"], e, "for example \"800/s\" or \"5M/day\"")).ok()
    });
    match (load.daily_active_users, load.requests_per_user_per_day) {
        (None, None) => rate,
        (Some(_), None) => {
            r.problem(
                &["load", "daily_active_users"],
                "`daily_active_users` needs `requests_per_user_per_day`",
                "add `requests_per_user_per_day = 40`",
            );
            None
        }
        (None, Some(_)) => {
            r.problem(
                &["load", "requests_per_user_per_day"],
                "`requests_per_user_per_day` needs `daily_active_users`",
                "add `daily_active_users = 1_000_000`",
            );
            None
        }
        (Some(users), Some(per_user)) => {
            if load.rate.is_some() {
                r.problem(
                    &["load", "rate"],
                    "both `rate` and `daily_active_users` set the level",
                    "keep one: `rate` is daily_active_users x requests_per_user_per_day / 86400 s",
                );
            }
            if users == 0 || !(per_user.is_finite() && per_user > 0.0) {
                r.problem(
                    &["load", "daily_active_users"],
                    "daily users and requests per user must be greater than zero",
                    "for example daily_active_users = 1_000_000 and requests_per_user_per_day = 40",
                );
                return None;
            }
            Some(users as f64 * per_user / 86_400.0)
        }
    }
}

fn product(shapes: Vec<Shape>, level: Option<f64>, r: &mut Resolver) -> Vec<Part> {
    let rates: Vec<&Shape> = shapes.iter().filter(|s| s.is_rate).collect();
    if rates.len() > 1 {
        r.problem(
            &at(&rates[1].path, "kind"),
            "a product may hold only one rate shape (stages, replay or a constant rate)",
            "use `combine = \"sum\"` to add rates, or turn this one into a factor",
        );
    }
    let scale = match (rates.first(), level) {
        (Some(s), Some(_)) => {
            r.problem(
                &["load", "rate"],
                format!("both `rate` and the `{}` shape set the level", kind_of(&s.factor)),
                "remove `rate` (or the daily users): the rate shape gives requests per second",
            );
            1.0
        }
        (Some(_), None) => 1.0,
        (None, Some(l)) => l,
        (None, None) => {
            r.problem(
                &["load"],
                "the shapes are factors, but nothing gives the level they scale",
                "add `rate = \"800/s\"` (the mean), or `daily_active_users` with `requests_per_user_per_day`",
            );
            1.0
        }
    };
    let mut base: Vec<(Factor, bool)> = Vec::new();
    let mut mixed: Vec<&Shape> = Vec::new();
    for s in &shapes {
        match (&s.mix, s.adds) {
            (None, _) => base.push((s.factor.clone(), false)),
            (Some(_), true) => mixed.push(s),
            (Some(_), false) => r.problem(
                &at(&s.path, "mix"),
                "in a product, only a shape that adds traffic (spike, growth >= 0, factor >= 1) may have a `mix`",
                "move the mix to a spike, or use `combine = \"sum\"` so that each shape is its own stream",
            ),
        }
    }
    // The level times the unmixed shapes, then each mixed shape's excess over 1 on top of
    // everything before it, so the parts add up to the full product.
    let mut parts = vec![Part { scale, factors: base.clone(), mix: None, regional: regional_index(&base) }];
    let mut so_far = base;
    for s in mixed {
        let mut factors = so_far.clone();
        factors.push((s.factor.clone(), true));
        parts.push(Part { scale, regional: regional_index(&factors), factors, mix: s.mix.clone() });
        so_far.push((s.factor.clone(), false));
    }
    parts
}

fn sum(shapes: Vec<Shape>, level: Option<f64>, r: &mut Resolver) -> Vec<Part> {
    let mut parts = Vec::new();
    for s in shapes {
        let scale = if s.is_rate {
            1.0
        } else {
            match level {
                Some(l) => l,
                None => {
                    r.problem(
                        &at(&s.path, "kind"),
                        format!(
                            "in a sum, a `{}` shape counts as `rate` x factor, but there is no `rate`",
                            kind_of(&s.factor)
                        ),
                        "add `rate = \"800/s\"` under [load], or use a rate shape (stages, replay, constant rate)",
                    );
                    1.0
                }
            }
        };
        let factors = vec![(s.factor, false)];
        parts.push(Part { scale, regional: regional_index(&factors), factors, mix: s.mix });
    }
    parts
}

fn kind_of(f: &Factor) -> &'static str {
    match f {
        Factor::Constant(_) => "constant",
        Factor::Piecewise(_) => "stages or replay",
        Factor::Diurnal(_) => "diurnal",
        Factor::Spike(_) => "spike",
        Factor::Growth { .. } => "growth",
    }
}

fn shape(path: Vec<String>, s: &ShapeInput, r: &mut Resolver, users: &Users) -> Option<Shape> {
    let kinds: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    let Some((kind, allowed)) = KEYS.iter().find(|(k, _)| *k == s.kind) else {
        let help = match did_you_mean(&s.kind, kinds.iter().copied()) {
            Some(k) => format!("did you mean `{k}`? Kinds: {}", kinds.join(", ")),
            None => format!("kinds: {}", kinds.join(", ")),
        };
        r.problem(&at(&path, "kind"), format!("unknown shape kind `{}`", s.kind), help);
        return None;
    };
    let mut ok = true;
    for key in present(s).into_iter().filter(|k| !allowed.contains(k)) {
        ok = false;
        r.problem(
            &at(&path, key),
            format!("`{key}` is not a key of a `{kind}` shape"),
            format!("keys of a {kind} shape: {}", allowed.join(", ")),
        );
    }
    let mix = s.mix.as_ref().and_then(|m| mix(&path, m, r));
    let (factor, is_rate, adds) = match *kind {
        "constant" => kinds::constant(&path, s, r)?,
        "stages" => (kinds::stages(&path, s, r)?, true, false),
        "diurnal" => (kinds::diurnal(&path, s, r, users)?, false, false),
        "spike" => (kinds::spike(&path, s, r)?, false, true),
        "growth" => kinds::growth(&path, s, r)?,
        _ => (kinds::replay(&path, s, r)?, true, false),
    };
    ok.then_some(Shape { path, factor, is_rate, adds, mix })
}

fn mix(path: &[String], m: &std::collections::BTreeMap<String, f64>, r: &mut Resolver) -> Option<Vec<f64>> {
    let p = at(path, "mix");
    let mut shares = vec![0.0; r.classes.len()];
    for (name, share) in m {
        match r.classes.iter().position(|c| c == name) {
            Some(i) => shares[i] = *share,
            None => {
                let help = format!("request classes (from [requests]) are: {}", r.classes.join(", "));
                r.problem(&p, format!("`{name}` is not a request class"), help);
                return None;
            }
        }
    }
    let total: f64 = shares.iter().sum();
    if shares.iter().any(|s| !(s.is_finite() && *s >= 0.0)) || (total - 1.0).abs() > 1e-6 {
        r.problem(
            &p,
            format!("mix shares must be zero or more and sum to 1 (they sum to {total})"),
            "for example `mix = { browse = 0.95, upload = 0.05 }`",
        );
        return None;
    }
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = shares
        .iter()
        .map(|s| {
            acc += s;
            acc
        })
        .collect();
    if let Some(last) = cdf.last_mut() {
        *last = 1.0;
    }
    Some(cdf)
}
