//! The shipped queueing scenarios against queueing theory.
//!
//! Tolerances: each estimate must lie within 3 standard errors (from independent
//! replications) plus 1% of theory. The 1% covers the HDR histogram's bucket width for
//! percentiles (at most 1% relative error) and the warm-up bias that remains after 10 s of
//! a run at these utilizations; 3 standard errors leaves a fixed-seed run far from the edge
//! while still failing on any modelling error of a few percent.

use crate::run_with;
use stagesim::runner::RunOptions;
use stagesim::stats::mean_sd;
use stagesim::summary::Summary;

const REPS: u32 = 10;

fn reps(path: &str) -> Vec<Summary> {
    (0..REPS).map(|r| run_with(path, RunOptions { seed: Some(100 + u64::from(r)), ..Default::default() })).collect()
}

fn check(what: &str, values: &[f64], theory: f64) {
    let (mean, sd) = mean_sd(values);
    let se = sd / (values.len() as f64).sqrt();
    let tol = 3.0 * se + 0.01 * theory;
    assert!(
        (mean - theory).abs() <= tol,
        "{what}: simulated {mean:.6} (se {se:.6}), theory {theory:.6}, tolerance {tol:.6}"
    );
}

fn factorial(n: u32) -> f64 {
    (1..=n).map(f64::from).product()
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load a.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let top = a.powi(c as i32) / factorial(c) * f64::from(c) / (f64::from(c) - a);
    let bottom: f64 = (0..c).map(|k| a.powi(k as i32) / factorial(k)).sum::<f64>() + top;
    top / bottom
}

/// Sojourn-time quantile of FCFS M/M/c: T = S + Wq, S ~ Exp(mu), Wq = 0 with probability
/// 1 - C, else Exp(c mu - lambda). Solved by bisection on the survival function.
pub fn mmc_sojourn_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> f64 {
    let pw = erlang_c(c, lambda / mu);
    let theta = f64::from(c) * mu - lambda;
    let survival = |t: f64| {
        let s_plus_x = if (theta - mu).abs() < 1e-12 {
            (1.0 + mu * t) * (-mu * t).exp()
        } else {
            (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - pw) * (-mu * t).exp() + pw * s_plus_x
    };
    let (mut lo, mut hi) = (0.0, 100.0 / theta.min(mu));
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if survival(mid) > 1.0 - q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

fn mmc_mean_sojourn(c: u32, lambda: f64, mu: f64) -> f64 {
    1.0 / mu + erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda)
}

fn collect(runs: &[Summary], f: impl Fn(&Summary) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

#[test]
fn mm1_matches_theory() {
    let runs = reps("scenarios/queueing/mm1.toml");
    let (lambda, mu) = (800.0, 1000.0);
    check("M/M/1 mean sojourn", &collect(&runs, |s| s.latency_s.mean), 1.0 / (mu - lambda));
    check("M/M/1 P99 sojourn", &collect(&runs, |s| s.latency_s.p99), 100f64.ln() / (mu - lambda));
    check("M/M/1 P(wait) = rho", &collect(&runs, |s| s.components["server"].wait_probability), lambda / mu);
    check("M/M/1 utilization", &collect(&runs, |s| s.components["server"].utilization), lambda / mu);
}

#[test]
fn mmc_matches_erlang_c() {
    let runs = reps("scenarios/queueing/mmc.toml");
    let (c, lambda, mu) = (8, 7200.0, 1000.0);
    check(
        "M/M/8 P(wait), Erlang C",
        &collect(&runs, |s| s.components["server"].wait_probability),
        erlang_c(c, lambda / mu),
    );
    check("M/M/8 mean sojourn", &collect(&runs, |s| s.latency_s.mean), mmc_mean_sojourn(c, lambda, mu));
    check("M/M/8 P99 sojourn", &collect(&runs, |s| s.latency_s.p99), mmc_sojourn_quantile(c, lambda, mu, 0.99));
}

#[test]
fn tandem_is_the_sum_of_its_stations() {
    let runs = reps("scenarios/queueing/tandem.toml");
    let lambda = 3000.0;
    // Jackson's theorem: each station behaves as an independent M/M/c queue.
    let stations = [("lb", 1, 5000.0), ("app", 4, 1000.0), ("db", 2, 2000.0)];
    let mut total = 0.0;
    for (name, c, mu) in stations {
        let pw = erlang_c(c, lambda / mu);
        check(&format!("{name} P(wait)"), &collect(&runs, |s| s.components[name].wait_probability), pw);
        check(
            &format!("{name} utilization"),
            &collect(&runs, |s| s.components[name].utilization),
            lambda / (f64::from(c) * mu),
        );
        total += mmc_mean_sojourn(c, lambda, mu);
    }
    check("tandem mean sojourn", &collect(&runs, |s| s.latency_s.mean), total);
}

#[test]
fn theory_helpers_agree_with_closed_forms() {
    // With one server, Erlang C is rho and the M/M/c tail is the M/M/1 one.
    assert!((erlang_c(1, 0.8) - 0.8).abs() < 1e-12);
    let p99 = mmc_sojourn_quantile(1, 800.0, 1000.0, 0.99);
    assert!((p99 - 100f64.ln() / 200.0).abs() < 1e-9, "{p99}");
}
