//! `sweep --out DIR`: the sweep (`sweep.json`), its hockey-stick chart (`hockey-stick.svg`:
//! P99 with its interval, and errors, against the swept value) and a page showing both.

use super::files::escape;
use crate::diag::Error;
use crate::sweep::Sweep;
use plotters::prelude::*;
use std::fmt::Write;

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The files `sweep --out` writes: a directory holding only these may be replaced.
pub const FILES: &[&str] = &["sweep.json", "hockey-stick.svg", "report.html"];

/// Writes the set as a whole (`output_file::write_set`).
pub fn write_sweep(dir: &str, s: &Sweep) -> Result<(), Error> {
    let svg = hockey_stick(s);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title></head><body style=\"font-family:sans-serif\">\n<h1>{0}: {1}</h1>\n<figure>{svg}</figure>\n<pre>{2}</pre>\n</body></html>\n",
        escape(&s.scenario),
        escape(&s.key),
        escape(&super::sweep_text::render(s))
    );
    let files = vec![
        (FILES[0].to_string(), (serde_json::to_string_pretty(s).expect("serializes") + "\n").into_bytes()),
        (FILES[1].to_string(), svg.into_bytes()),
        (FILES[2].to_string(), html.into_bytes()),
    ];
    crate::output_file::write_set(dir, &files, &|name| FILES.contains(&name))
}

/// P99 (log scale, with its 95% interval when replicated) and the error ratio versus the value.
pub fn hockey_stick(s: &Sweep) -> String {
    let mut svg = String::new();
    let _ = draw(s, &mut svg);
    svg
}

fn draw(s: &Sweep, svg: &mut String) -> DrawResult {
    let root = SVGBackend::with_string(svg, (760, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(340);
    let xs: Vec<f64> = s.points.iter().map(|p| p.value).collect();
    let (lo, hi) = (xs.first().copied().unwrap_or(0.0), xs.last().copied().unwrap_or(1.0));
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let ms = |v: f64| (v * 1e3).max(1e-3);
    let ymax =
        s.points.iter().map(|p| p.latency_s_p99_ci95.as_ref().map_or(p.latency_s_p99, |c| c.high)).fold(1e-3, f64::max);
    let ymin = s.points.iter().map(|p| p.latency_s_p99).fold(f64::INFINITY, f64::min).min(ymax);
    let mut chart = ChartBuilder::on(&top)
        .caption(format!("P99 latency vs {}", s.key), ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(lo - pad..hi + pad, (ms(ymin) * 0.7..ms(ymax) * 1.5).log_scale())?;
    chart.configure_mesh().y_desc("p99 (ms)").draw()?;
    let blue = RGBColor(31, 119, 180);
    let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (p.value, ms(p.latency_s_p99))).collect();
    chart.draw_series(LineSeries::new(pts.clone(), blue.stroke_width(2)))?;
    chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, blue.filled())))?;
    chart.draw_series(s.points.iter().filter_map(|p| {
        p.latency_s_p99_ci95.as_ref().map(|c| PathElement::new(vec![(p.value, ms(c.low)), (p.value, ms(c.high))], blue))
    }))?;
    if let Some(k) = s.knee {
        let red = RGBColor(214, 39, 40);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(k, ms(ymin) * 0.7), (k, ms(ymax) * 1.5)],
            red.stroke_width(1),
        )))?;
    }
    let emax = s.points.iter().map(|p| p.error_ratio * 100.0).fold(1.0, f64::max);
    let mut errs = ChartBuilder::on(&bottom)
        .caption("errors", ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(lo - pad..hi + pad, 0f64..emax * 1.1)?;
    errs.configure_mesh().x_desc(s.key.as_str()).y_desc("errors (%)").draw()?;
    let orange = RGBColor(255, 127, 14);
    errs.draw_series(LineSeries::new(
        s.points.iter().map(|p| (p.value, p.error_ratio * 100.0)),
        orange.stroke_width(2),
    ))?;
    root.present()?;
    Ok(())
}
