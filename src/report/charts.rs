//! SVG charts (plotters, SVG backend, no system fonts). Each function draws data that is
//! already in the summary; none computes a statistic.

use crate::journey::run::JourneySummary;
use plotters::prelude::*;

const W: u32 = 760;
const H: u32 = 380;

fn palette(i: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    C[i % C.len()]
}

/// Viridis (matplotlib's default colour map): perceptually uniform, readable in grey and by
/// the common forms of colour blindness, unlike a red-to-green ramp. Nine stops of the map,
/// interpolated linearly; `t` in 0..=1.
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let x = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Label for a categorical axis whose cells span [i, i+1): only the centres get a label.
fn centre_label(v: f64, names: &[String]) -> String {
    let k = v - 0.5;
    if k >= 0.0 && (k - k.round()).abs() < 1e-6 {
        names.get(k.round() as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// P99 latency versus offered load, one line per stage, log-log: the hockey sticks.
pub fn latency_vs_load(j: &JourneySummary) -> String {
    let mut svg = String::new();
    let _ = draw_latency(j, &mut svg);
    svg
}

fn draw_latency(j: &JourneySummary, svg: &mut String) -> DrawResult {
    let root = SVGBackend::with_string(svg, (W, H)).into_drawing_area();
    root.fill(&WHITE)?;
    let (lo, hi) = (j.rates_per_s.first().copied().unwrap_or(1.0), j.rates_per_s.last().copied().unwrap_or(10.0));
    let ymax = j.stages.iter().flat_map(|s| &s.points).map(|p| p.latency_s_p99 * 1e3).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption("P99 latency vs offered load", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((lo * 0.9..hi * 1.1).log_scale(), (0.1f64..ymax * 1.5).log_scale())?;
    chart.configure_mesh().x_desc("requests/s").y_desc("p99 (ms)").draw()?;
    for (i, s) in j.stages.iter().enumerate() {
        let pts: Vec<(f64, f64)> =
            s.points.iter().filter(|p| p.latency_s_p99 > 0.0).map(|p| (p.rate_per_s, p.latency_s_p99 * 1e3)).collect();
        let color = palette(i);
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
            .label(format!("{} {}", i + 1, s.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
    }
    let limit = j.criteria.latency_s_p99_max * 1e3;
    chart.draw_series(LineSeries::new(vec![(lo * 0.9, limit), (hi * 1.1, limit)], RED.stroke_width(1)))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 11))
        .draw()?;
    root.present()?;
    Ok(())
}

/// Capacity (bars, requests/s) and cost per month (line) per stage.
pub fn capacity_and_cost(j: &JourneySummary) -> String {
    let mut svg = String::new();
    let _ = draw_capacity(j, &mut svg);
    svg
}

fn draw_capacity(j: &JourneySummary, svg: &mut String) -> DrawResult {
    let root = SVGBackend::with_string(svg, (W, H)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = j.stages.len().max(1);
    let caps: Vec<f64> = j.stages.iter().map(|s| s.capacity_per_s.unwrap_or(0.0)).collect();
    let cmax = caps.iter().copied().fold(1.0, f64::max);
    let costmax = j.stages.iter().map(|s| s.cost_usd_per_month).fold(1.0, f64::max);
    let names: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Capacity (bars) and the whole bill per month at {:.0}/s (line) by stage", j.bill_rate_per_s),
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .right_y_label_area_size(64)
        .build_cartesian_2d(0f64..n as f64, (1.0..cmax * 2.0).log_scale())?
        .set_secondary_coord(0f64..n as f64, 0f64..costmax * 1.2);
    chart
        .configure_mesh()
        .x_desc("stage")
        .y_desc("capacity (req/s)")
        .x_labels(2 * n + 1)
        .x_label_formatter(&|x| centre_label(*x, &names))
        .draw()?;
    chart.configure_secondary_axes().y_desc("USD/month").draw()?;
    chart.draw_series(
        caps.iter().enumerate().filter(|(_, c)| **c > 0.0).map(|(i, c)| {
            Rectangle::new([(i as f64 + 0.15, 1.0), (i as f64 + 0.85, *c)], palette(0).mix(0.7).filled())
        }),
    )?;
    let cost: Vec<(f64, f64)> =
        j.stages.iter().enumerate().map(|(i, s)| (i as f64 + 0.5, s.cost_usd_per_month)).collect();
    chart.draw_secondary_series(LineSeries::new(cost.clone(), palette(1).stroke_width(2)))?;
    chart.draw_secondary_series(cost.iter().map(|p| Circle::new(*p, 4, palette(1).filled())))?;
    root.present()?;
    Ok(())
}

/// Utilization of every component at every stage, at the highest ladder load: a heat map.
pub fn utilization_map(j: &JourneySummary) -> String {
    let mut svg = String::new();
    let _ = draw_utilization(j, &mut svg);
    svg
}

fn draw_utilization(j: &JourneySummary, svg: &mut String) -> DrawResult {
    let mut comps: Vec<&String> = j.stages.iter().flat_map(|s| s.components.keys()).collect();
    comps.sort();
    comps.dedup();
    let rows = comps.len().max(1);
    let root = SVGBackend::with_string(svg, (W, 60 + 24 * rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Utilization at the highest load, by component and stage", ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..j.stages.len().max(1) as f64, 0f64..rows as f64)?;
    let stage_names: Vec<String> = (1..=j.stages.len()).map(|i| i.to_string()).collect();
    let comp_names: Vec<String> = comps.iter().map(|c| c.to_string()).collect();
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(2 * j.stages.len() + 1)
        .y_labels(2 * rows + 1)
        .x_label_formatter(&|x| centre_label(*x, &stage_names))
        .y_label_formatter(&|y| centre_label(*y, &comp_names))
        .draw()?;
    for (si, s) in j.stages.iter().enumerate() {
        let Some(p) = s.points.last() else { continue };
        for (ci, c) in comps.iter().enumerate() {
            let Some(u) = p.utilization.get(*c) else { continue };
            let heat = u.clamp(0.0, 1.0);
            let (x, y) = (si as f64, ci as f64);
            chart.draw_series([Rectangle::new([(x + 0.05, y + 0.1), (x + 0.95, y + 0.9)], viridis(heat).filled())])?;
            // Viridis runs from dark to light: dark text on the light end keeps its contrast.
            let ink = if heat < 0.6 { WHITE } else { BLACK };
            chart.draw_series([Text::new(
                match p.busiest_node.get(*c) {
                    Some(node) => format!("{:.0}% {node}", u * 100.0),
                    None => format!("{:.0}%", u * 100.0),
                },
                (x + 0.3, y + 0.65),
                ("sans-serif", 11).into_font().color(&ink),
            )])?;
        }
    }
    root.present()?;
    Ok(())
}

/// Time series of the chosen run: one small chart per series.
pub fn timeseries(j: &JourneySummary) -> Vec<(String, String)> {
    let Some(ts) = &j.timeseries else { return Vec::new() };
    window_charts(&ts.windows)
}

/// One small chart per series of a run's windows (a journey's chosen run, or `run --out`).
pub fn window_charts(windows: &[crate::summary::Window]) -> Vec<(String, String)> {
    let t: Vec<f64> = windows.iter().map(|w| w.t_s).collect();
    let mut series: Vec<(String, Vec<f64>)> = vec![
        ("arrival rate (req/s)".into(), windows.iter().map(|w| w.arrivals_per_s).collect()),
        // A window where nothing completed has no P99: a gap in the line, not a zero.
        ("p99 latency (ms)".into(), windows.iter().map(|w| w.latency_s_p99.map_or(f64::NAN, |p| p * 1e3)).collect()),
        ("errors (per s)".into(), windows.iter().map(|w| w.errors_per_s).collect()),
    ];
    let comps: Vec<String> = windows.first().map(|w| w.utilization.keys().cloned().collect()).unwrap_or_default();
    for c in &comps {
        series.push((format!("utilization {c}"), windows.iter().map(|w| w.utilization[c]).collect()));
        series.push((format!("queue depth {c}"), windows.iter().map(|w| w.queue_mean[c]).collect()));
    }
    series
        .into_iter()
        .map(|(name, ys)| {
            let mut svg = String::new();
            let _ = draw_series(&name, &t, &ys, &mut svg);
            (name, svg)
        })
        .collect()
}

pub(crate) fn draw_series(name: &str, t: &[f64], ys: &[f64], svg: &mut String) -> DrawResult {
    let root = SVGBackend::with_string(svg, (W, 200)).into_drawing_area();
    root.fill(&WHITE)?;
    let tmax = t.last().copied().unwrap_or(1.0).max(1.0);
    let ymax = ys.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(name, ("sans-serif", 14))
        .margin(6)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..tmax, 0f64..ymax)?;
    chart.configure_mesh().x_desc("time (s)").draw()?;
    let points = t.iter().copied().zip(ys.iter().copied()).filter(|(_, y)| y.is_finite());
    chart.draw_series(LineSeries::new(points, palette(0).stroke_width(2)))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_middle() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(0.5), RGBColor(33, 144, 141));
        assert_eq!(viridis(-1.0), viridis(0.0));
        // Lightness rises monotonically (green channel here), so order reads in grey too.
        let g: Vec<u8> = (0..=20).map(|k| viridis(f64::from(k) / 20.0).1).collect();
        assert!(g.windows(2).all(|w| w[0] <= w[1]), "{g:?}");
    }
}
