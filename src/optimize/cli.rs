//! Command-line glue of `stagesim optimize`: options, output file, exit code. The search is
//! in `optimize/`, the text in `report/optimize_text.rs`.

use super::space::Method;
use crate::cli::Format;
use crate::diag::Error;
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MethodArg {
    Auto,
    Exhaustive,
    Halving,
}

#[derive(Args, Debug)]
pub struct OptimizeArgs {
    /// The design-space file (TOML): a base scenario, dimensions, constraints, replays.
    pub space: String,
    /// Write the winning design here as a scenario file.
    #[arg(long)]
    pub out: Option<String>,
    /// The search method (default: the file's `[search] method`, else auto).
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Run every design, without pruning by monotonicity.
    #[arg(long)]
    pub no_prune: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// What to print and the exit code: 0 a feasible design was found, 1 none.
pub fn execute(a: &OptimizeArgs) -> Result<(String, i32), Error> {
    let space = super::space::load(&a.space)?;
    let method = match a.method {
        None | Some(MethodArg::Auto) => None,
        Some(MethodArg::Exhaustive) => Some(Method::Exhaustive),
        Some(MethodArg::Halving) => Some(Method::Halving),
    };
    let opts = super::Options { method, prune: a.no_prune.then_some(false) };
    let o = super::optimize(&space, &opts)?;
    if let (Some(path), Some(w)) = (&a.out, &o.winner) {
        let text = super::winner_scenario(&space, w)?;
        // The file must load as it is written: a design that does not is a bug, not output.
        crate::load::parse_scenario(path, &text)
            .map_err(|e| Error::Usage(format!("the winning design does not load: {e}")))?;
        crate::output_file::write(path, text)?;
    }
    let out = match a.format {
        Format::Text => crate::report::optimize_text::render(&o),
        Format::Json => serde_json::to_string_pretty(&o).expect("serializes") + "\n",
    };
    Ok((out, if o.winner.is_some() { 0 } else { 1 }))
}

pub fn main(a: &OptimizeArgs, color: bool) -> i32 {
    match execute(a) {
        Ok((out, code)) => {
            use std::io::Write;
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
            code
        }
        Err(e) => crate::color::print_error(&e, color),
    }
}
