//! One compiler per shape kind: checks the kind's keys and builds its `Factor`.

use super::build::at;
use super::shape::{DayCurve, Diurnal, Factor, Piecewise, Spike};
use crate::input::shapes::ShapeInput;
use crate::model::Users;
use crate::units::{parse_growth, parse_rate, parse_rate_or_zero, NS_PER_S};
use crate::validate::Resolver;

pub(super) fn constant(path: &[String], s: &ShapeInput, r: &mut Resolver) -> Option<(Factor, bool, bool)> {
    match (&s.rate, s.factor) {
        (Some(t), None) => {
            let v = parse_rate(t).map_err(|e| r.problem(&at(path, "rate"), e, "for example \"200/s\"")).ok()?;
            Some((Factor::Constant(v), true, false))
        }
        (None, Some(f)) if f.is_finite() && f > 0.0 => Some((Factor::Constant(f), false, f >= 1.0)),
        (None, Some(_)) => {
            r.problem(&at(path, "factor"), "`factor` must be greater than zero", "for example `factor = 1.5`");
            None
        }
        _ => {
            r.problem(
                &at(path, "kind"),
                "a constant shape needs exactly one of `rate` and `factor`",
                "write `rate = \"200/s\"` or `factor = 1.5`",
            );
            None
        }
    }
}

pub(super) fn stages(path: &[String], s: &ShapeInput, r: &mut Resolver) -> Option<Factor> {
    let Some(list) = s.stages.as_ref().filter(|l| !l.is_empty()) else {
        r.problem(
            &at(path, "stages"),
            "a stages shape needs `stages`",
            "add `stages = [{ duration = \"2m\", target = \"500/s\" }]`",
        );
        return None;
    };
    let from = match &s.from {
        Some(f) => parse_rate_or_zero(f).map_err(|e| r.problem(&at(path, "from"), e, "for example \"0/s\"")).ok()?,
        None => 0.0,
    };
    let (mut t, mut v, mut now) = (vec![0.0], vec![from], 0.0);
    let mut ok = true;
    for (i, st) in list.iter().enumerate() {
        let i = i.to_string();
        let base = [path, &["stages".to_string(), i]].concat();
        let d = r.duration(&at(&base, "duration"), &st.duration);
        let target = parse_rate_or_zero(&st.target)
            .map_err(|e| r.problem(&at(&base, "target"), e, "for example \"500/s\" (or \"0/s\")"))
            .ok();
        match (d, target) {
            (Some(d), Some(target)) => {
                now += d as f64 / NS_PER_S;
                t.push(now);
                v.push(target);
            }
            _ => ok = false,
        }
    }
    if ok && v.iter().all(|x| *x == 0.0) {
        r.problem(&at(path, "stages"), "every stage's target is zero", "give some stage a target above \"0/s\"");
        return None;
    }
    ok.then_some(Factor::Piecewise(Piecewise { t, v, step: false }))
}

pub(super) fn diurnal(path: &[String], s: &ShapeInput, r: &mut Resolver, users: &Users) -> Option<Factor> {
    let curve = match (s.peak_hour, s.peak_to_trough, &s.weights) {
        (Some(peak), Some(ratio), None) => {
            if !(0.0..=24.0).contains(&peak) {
                r.problem(
                    &at(path, "peak_hour"),
                    "`peak_hour` must be between 0 and 24",
                    "the local hour of the busiest moment, e.g. 20",
                );
                return None;
            }
            if !(ratio.is_finite() && ratio >= 1.0) {
                r.problem(
                    &at(path, "peak_to_trough"),
                    "`peak_to_trough` must be 1 or more",
                    "peak rate / quietest rate, e.g. 4",
                );
                return None;
            }
            DayCurve::Cosine { amp: (ratio - 1.0) / (ratio + 1.0), peak_hour: peak }
        }
        (None, None, Some(w)) => {
            let total: f64 = w.iter().sum();
            if w.len() != 24 || w.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || total <= 0.0 {
                r.problem(
                    &at(path, "weights"),
                    format!("`weights` needs 24 hourly levels, zero or more and not all zero (got {})", w.len()),
                    "one number per hour from 00:00 to 23:00, local time; only their ratios matter",
                );
                return None;
            }
            let mean = total / 24.0;
            let norm: Vec<f64> = w.iter().map(|x| x / mean).collect();
            DayCurve::Hourly(Box::new(norm.try_into().ok()?))
        }
        _ => {
            r.problem(
                &at(path, "kind"),
                "a diurnal shape needs `peak_hour` and `peak_to_trough`, or `weights` (not both)",
                "for example `peak_hour = 20` and `peak_to_trough = 4`",
            );
            return None;
        }
    };
    let start_hour = s.start_hour.unwrap_or(0.0);
    if !(0.0..24.0).contains(&start_hour) {
        r.problem(
            &at(path, "start_hour"),
            "`start_hour` must be from 0 to below 24",
            "the UTC hour at simulated time zero",
        );
        return None;
    }
    let regions = match &s.utc_offsets {
        None => vec![(1.0, 0.0)],
        Some(offsets) => regions(path, offsets, r, users)?,
    };
    Some(Factor::Diurnal(Diurnal { curve, start_hour, regions }))
}

fn regions(
    path: &[String],
    offsets: &std::collections::BTreeMap<String, f64>,
    r: &mut Resolver,
    users: &Users,
) -> Option<Vec<(f64, f64)>> {
    let p = at(path, "utc_offsets");
    let names: Vec<&str> = users.regions.iter().map(|(n, _)| n.as_str()).collect();
    for (name, off) in offsets {
        if !names.contains(&name.as_str()) {
            let help = format!(
                "the [users] regions are: {} (define them with `[users] regions = {{ ... }}`)",
                names.join(", ")
            );
            r.problem(&p, format!("`{name}` is not a user region"), help);
            return None;
        }
        if !(-12.0..=14.0).contains(off) {
            r.problem(
                &p,
                format!("UTC offset {off} of `{name}` is outside -12..14 hours"),
                "for example `us-east = -5`",
            );
            return None;
        }
    }
    let missing: Vec<&str> = names.iter().copied().filter(|n| !offsets.contains_key(*n)).collect();
    if !missing.is_empty() {
        r.problem(
            &p,
            format!("no UTC offset for region(s) {}", missing.join(", ")),
            "give every [users] region an offset",
        );
        return None;
    }
    Some(users.regions.iter().map(|(n, share)| (*share, offsets[n])).collect())
}

pub(super) fn spike(path: &[String], s: &ShapeInput, r: &mut Resolver) -> Option<Factor> {
    let secs = |r: &mut Resolver, key: &'static str, v: &Option<String>| -> Option<f64> {
        match v {
            Some(t) => r.duration(&at(path, key), t).map(|ns| ns as f64 / NS_PER_S),
            None => Some(0.0),
        }
    };
    let (Some(_), Some(m)) = (&s.start, s.multiplier) else {
        r.problem(
            &at(path, "kind"),
            "a spike needs `start` and `multiplier`",
            "for example `start = \"13h\"` and `multiplier = 10`",
        );
        return None;
    };
    if !(m.is_finite() && m >= 1.0) {
        r.problem(
            &at(path, "multiplier"),
            "`multiplier` must be 1 or more",
            "the peak rate over the rate without the spike, e.g. 10",
        );
        return None;
    }
    let start = secs(r, "start", &s.start);
    let ramp_up = secs(r, "ramp_up", &s.ramp_up);
    let hold = secs(r, "hold", &s.hold);
    let decay = secs(r, "decay", &s.decay);
    Some(Factor::Spike(Spike { start: start?, ramp_up: ramp_up?, multiplier: m, hold: hold?, half_life: decay? }))
}

pub(super) fn growth(path: &[String], s: &ShapeInput, r: &mut Resolver) -> Option<(Factor, bool, bool)> {
    let Some(text) = &s.growth else {
        r.problem(&at(path, "kind"), "a growth shape needs `growth`", "for example `growth = \"10%/week\"`");
        return None;
    };
    let (g, period) =
        parse_growth(text).map_err(|e| r.problem(&at(path, "growth"), e, "for example \"10%/week\"")).ok()?;
    Some((Factor::Growth { per_s: (1.0 + g).ln() / period }, false, g >= 0.0))
}

pub(super) fn replay(path: &[String], s: &ShapeInput, r: &mut Resolver) -> Option<Factor> {
    if s.file.is_none() {
        r.problem(
            &at(path, "kind"),
            "a replay shape needs `file`",
            "for example `file = \"traces/monday.csv\"` (time,rate per line)",
        );
        return None;
    }
    let scale = s.scale.unwrap_or(1.0);
    if !(scale.is_finite() && scale > 0.0) {
        r.problem(&at(path, "scale"), "`scale` must be greater than zero", "1 replays the trace as recorded");
        return None;
    }
    let step = match s.interpolate.as_deref().unwrap_or("linear") {
        "linear" => false,
        "step" => true,
        other => {
            r.problem(
                &at(path, "interpolate"),
                format!("unknown `interpolate = \"{other}\"`"),
                "use \"linear\" or \"step\"",
            );
            return None;
        }
    };
    // The loader reads the file; without a trace here it has already reported why.
    let trace = s.trace.as_ref()?;
    let (t, v) = trace.iter().map(|(t, v)| (*t, v * scale)).unzip();
    Some(Factor::Piecewise(Piecewise { t, v, step }))
}
