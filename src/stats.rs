//! Small statistics helpers: confidence intervals across replications.

use serde::Serialize;

/// A two-sided 95% confidence interval.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Ci {
    pub low: f64,
    pub high: f64,
}

/// Student-t 97.5% quantiles for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// The 97.5% quantile of Student's t with `df` degrees of freedom: the table up to 30, then
/// the Cornish-Fisher expansion around the normal quantile (Abramowitz and Stegun 26.7.5),
/// within 1e-5 of the exact value from 31 on (the normal's 1.96 was up to 4% too small).
pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T975[df - 1],
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let v = df as f64;
            let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
            z + (z3 + z) / (4.0 * v)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
                + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * v.powi(4))
        }
    }
}

/// Mean and sample standard deviation.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The t-interval of the mean of independent replications (`None` below two). When no value
/// is negative (a latency, a rate, a cost) the quantity cannot be, so the interval is
/// truncated at zero: cutting off values the quantity cannot take keeps its coverage.
pub fn mean_ci95(xs: &[f64]) -> Option<Ci> {
    if xs.len() < 2 {
        return None;
    }
    let (m, sd) = mean_sd(xs);
    let half = t975(xs.len() - 1) * sd / (xs.len() as f64).sqrt();
    Some(Ci { low: floor_at_zero(xs, m - half), high: m + half })
}

/// `low`, or 0 when it is below zero and no value is negative.
pub fn floor_at_zero(xs: &[f64], low: f64) -> f64 {
    if low < 0.0 && xs.iter().all(|x| *x >= 0.0) {
        0.0
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_known_sample() {
        let ci = mean_ci95(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        // mean 3, sd 1.5811, t(4) = 2.776 -> half width 1.963
        assert!((ci.low - 1.037).abs() < 1e-3 && (ci.high - 4.963).abs() < 1e-3);
        assert!(mean_ci95(&[1.0]).is_none());
    }

    #[test]
    fn t_quantiles_beyond_the_table_match_tabulated_values() {
        // Tabulated 97.5% quantiles (NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
        for (df, t) in [(31, 2.0395), (40, 2.0211), (60, 2.0003), (100, 1.9840), (120, 1.9799), (1000, 1.9623)] {
            assert!((t975(df) - t).abs() < 2e-4, "t({df}) = {} vs {t}", t975(df));
        }
        assert!((t975(30) - 2.042).abs() < 1e-9 && t975(31) < t975(30));
    }

    #[test]
    fn interval_of_a_non_negative_quantity_stays_above_zero() {
        let ci = mean_ci95(&[0.001, 0.2]).unwrap();
        assert_eq!(ci.low, 0.0);
        assert!(ci.high > 0.2);
        // A quantity that can be negative keeps its symmetric interval.
        assert!(mean_ci95(&[-0.1, 0.2]).unwrap().low < 0.0);
    }
}
