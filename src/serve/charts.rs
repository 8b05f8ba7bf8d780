//! The time series the page shows: the report's window charts (load, P99, errors, per
//! component utilization and queue) and the kinds' own series (instances over time), drawn
//! by the report's SVG code from the summary's windows.

use crate::summary::Summary;

pub fn charts(s: &Summary) -> Vec<(String, String)> {
    let mut out = crate::report::charts::window_charts(&s.windows);
    let Some(first) = s.windows.first() else { return out };
    let t: Vec<f64> = s.windows.iter().map(|w| w.t_s).collect();
    for (series, comps) in &first.series {
        for comp in comps.keys() {
            let name = format!("{series} {comp}");
            let ys: Vec<f64> = s
                .windows
                .iter()
                .map(|w| w.series.get(series).and_then(|c| c.get(comp)).copied().unwrap_or(f64::NAN))
                .collect();
            let mut svg = String::new();
            let _ = crate::report::charts::draw_series(&name, &t, &ys, &mut svg);
            out.push((name, svg));
        }
    }
    out
}
