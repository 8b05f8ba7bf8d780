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

pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T975[df - 1],
        _ => 1.96,
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

/// The t-interval of the mean of independent replications (`None` below two).
pub fn mean_ci95(xs: &[f64]) -> Option<Ci> {
    if xs.len() < 2 {
        return None;
    }
    let (m, sd) = mean_sd(xs);
    let half = t975(xs.len() - 1) * sd / (xs.len() as f64).sqrt();
    Some(Ci { low: m - half, high: m + half })
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
}
