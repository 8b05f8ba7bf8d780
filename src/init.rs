//! `stagesim init [TEMPLATE]`: a starter scenario that validates and runs. The templates live
//! in `src/init/` as ordinary scenario files (a test validates and runs every one).

use crate::diag::Error;
use clap::ValueEnum;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// One server runs everything.
    #[default]
    SingleServer,
    /// A load balancer, app servers and a database.
    LoadBalancer,
    /// Cache-aside in front of a database.
    Cache,
    /// A queue whose workers write to the database.
    Queue,
}

impl Template {
    pub const ALL: [Template; 4] = [Template::SingleServer, Template::LoadBalancer, Template::Cache, Template::Queue];

    pub fn text(self) -> &'static str {
        match self {
            Template::SingleServer => include_str!("init/single-server.toml"),
            Template::LoadBalancer => include_str!("init/load-balancer.toml"),
            Template::Cache => include_str!("init/cache.toml"),
            Template::Queue => include_str!("init/queue.toml"),
        }
    }

    /// The template's name on the command line, also the default file's stem.
    pub fn name(self) -> &'static str {
        match self {
            Template::SingleServer => "single-server",
            Template::LoadBalancer => "load-balancer",
            Template::Cache => "cache",
            Template::Queue => "queue",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The starter design.
    #[arg(value_enum, default_value = "single-server")]
    pub template: Template,
    /// Where to write it (default: TEMPLATE.toml in the current directory).
    #[arg(long, short)]
    pub output: Option<String>,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Writes the template; refuses to replace an existing file without `--force`.
pub fn execute(a: &InitArgs) -> Result<String, Error> {
    let path = a.output.clone().unwrap_or_else(|| format!("{}.toml", a.template.name()));
    let io = |source| Error::Io { path: path.clone(), source };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if a.force {
        options.create(true).truncate(true);
    } else {
        // `create_new` makes the existence check and the creation one step.
        options.create_new(true);
    }
    let mut f = match options.open(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Usage(format!("`{path}` exists: pass --force to replace it, or --output another file")))
        }
        other => other.map_err(io)?,
    };
    std::io::Write::write_all(&mut f, a.template.text().as_bytes()).map_err(io)?;
    Ok(format!("wrote {path} ({} template); next: stagesim run {path}\n", a.template.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_validates() {
        for t in Template::ALL {
            let (model, set) = crate::load::parse_scenario_checked(t.name(), t.text())
                .unwrap_or_else(|e| panic!("template {}: {e}", t.name()));
            assert!(!model.components.is_empty());
            assert!(!set.thresholds.is_empty(), "{} shows thresholds", t.name());
        }
    }
}
