//! Which shard this process is (`--shard i/N` or `--shard env`), and the checks a merge makes:
//! one plan, every shard once, every item once.

use super::{ItemId, ItemResult, Part, Plan};
use crate::diag::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Shard `index` of `count`, 1-based as written on the command line (`--shard 2/7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// The most shards a plan may be cut into.
pub const MAX_SHARDS: u32 = 100_000;

/// What `--shard env` reads, in this order: the first engine whose index variable is set
/// wins. Kubernetes gives no count: it comes from `STAGESIM_SHARD_COUNT` (the manifest sets
/// it to the Job's `completions`).
pub const ENV_HELP: &str =
    "STAGESIM_SHARD_INDEX (1-based) and STAGESIM_SHARD_COUNT (GitHub Actions: set them from the matrix); \
JOB_COMPLETION_INDEX (Kubernetes Indexed Job, 0-based) with STAGESIM_SHARD_COUNT; \
SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (Slurm job array); \
CI_NODE_INDEX (1-based) and CI_NODE_TOTAL (GitLab CI `parallel:`)";

impl Shard {
    pub fn whole() -> Shard {
        Shard { index: 1, count: 1 }
    }

    /// Item `k` (0-based, in plan order) belongs to shard `k mod count + 1`.
    pub fn owns(self, k: usize) -> bool {
        k % self.count as usize == (self.index - 1) as usize
    }

    /// `i/N`, or `env` (see `ENV_HELP`), read through `var`.
    pub fn parse(text: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<Shard, Error> {
        if text == "env" {
            return from_env(var);
        }
        let bad = || {
            Error::Usage(format!("--shard `{text}`: write INDEX/COUNT with 1 <= INDEX <= COUNT, such as 2/7, or `env`"))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (i, n): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        Shard::new(i, n).map_err(|e| Error::Usage(format!("--shard `{text}`: {e}")))
    }

    fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("the count must be 1 to {MAX_SHARDS}"));
        }
        if index == 0 || index > count {
            return Err(format!("the index must be 1 to {count} (1-based)"));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Shard, Error> {
    let num = |name: &str| -> Result<Option<i64>, Error> {
        match var(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| Error::Usage(format!("--shard env: {name}=`{v}` is not a whole number"))),
        }
    };
    let need = |name: &str, got: Option<i64>| {
        got.ok_or_else(|| Error::Usage(format!("--shard env: {name} is not set (read: {ENV_HELP})")))
    };
    let (index, count, from) = if let Some(i) = num("STAGESIM_SHARD_INDEX")? {
        (i, need("STAGESIM_SHARD_COUNT", num("STAGESIM_SHARD_COUNT")?)?, "STAGESIM_SHARD_INDEX")
    } else if let Some(i) = num("JOB_COMPLETION_INDEX")? {
        (i + 1, need("STAGESIM_SHARD_COUNT", num("STAGESIM_SHARD_COUNT")?)?, "JOB_COMPLETION_INDEX")
    } else if let Some(i) = num("SLURM_ARRAY_TASK_ID")? {
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        (i - min + 1, need("SLURM_ARRAY_TASK_COUNT", num("SLURM_ARRAY_TASK_COUNT")?)?, "SLURM_ARRAY_TASK_ID")
    } else if let Some(i) = num("CI_NODE_INDEX")? {
        (i, need("CI_NODE_TOTAL", num("CI_NODE_TOTAL")?)?, "CI_NODE_INDEX")
    } else {
        return Err(Error::Usage(format!("--shard env: no shard index in the environment (read: {ENV_HELP})")));
    };
    let fit = |v: i64| u32::try_from(v).unwrap_or(0);
    Shard::new(fit(index), fit(count)).map_err(|e| Error::Usage(format!("--shard env (from {from}): {e}")))
}

/// The plan all `parts` share, after checking that they are of one plan and round, that no
/// shard is there twice and none is missing. Errors name the files.
pub fn check_parts(parts: &[(String, Part)]) -> Result<Plan, Error> {
    let (first_file, first) = parts.first().ok_or_else(|| Error::Usage("merge needs at least one part".into()))?;
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (file, p) in parts {
        if p.plan_id != first.plan_id || p.plan.id() != first.plan_id {
            return Err(Error::Usage(format!(
                "{file}: a part of another plan (plan {}, round {}) than {first_file} (plan {}, round {}): merge the parts of one plan",
                p.plan_id, p.plan.round, first.plan_id, first.plan.round
            )));
        }
        if p.shard.count != first.shard.count {
            return Err(Error::Usage(format!(
                "{file}: shard {} but {first_file} is shard {}: every part of a merge must be cut into the same number of shards",
                p.shard, first.shard
            )));
        }
        if let Some(other) = seen.insert(p.shard.index, file) {
            return Err(Error::Usage(format!("{file}: shard {} is there twice (also {other})", p.shard)));
        }
    }
    let missing: Vec<String> = (1..=first.shard.count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{}", first.shard.count))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "missing part(s): shard {} of plan {} (round {}); run them with --shard and merge every part",
            missing.join(", "),
            first.plan_id,
            first.plan.round
        )));
    }
    Ok(first.plan.clone())
}

/// Every item of the plan has exactly one result, and there is no other.
pub fn check_items(plan: &Plan, results: &[ItemResult]) -> Result<(), Error> {
    let mut have: BTreeMap<&ItemId, usize> = BTreeMap::new();
    for r in results {
        *have.entry(&r.id).or_default() += 1;
    }
    if let Some((id, _)) = have.iter().find(|(_, n)| **n > 1) {
        return Err(Error::Usage(format!("item `{id}` has more than one result: a part was edited or mixed")));
    }
    for it in &plan.items {
        if have.remove(&it.id).is_none() {
            return Err(Error::Usage(format!("item `{}` has no result: a part was edited or truncated", it.id)));
        }
    }
    for c in &plan.carried {
        have.remove(&c.id);
    }
    if let Some(id) = have.keys().next() {
        return Err(Error::Usage(format!("item `{id}` is not in the plan: a part was edited or mixed")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn shards_from_text_and_engines() {
        let none = env(&[]);
        assert_eq!(Shard::parse("2/7", &none).unwrap(), Shard { index: 2, count: 7 });
        for bad in ["0/3", "4/3", "1/0", "x/2", "3", "env"] {
            assert_eq!(Shard::parse(bad, &none).unwrap_err().exit_code(), 2, "{bad}");
        }
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0"), ("STAGESIM_SHARD_COUNT", "3")]);
        assert_eq!(Shard::parse("env", &k8s).unwrap(), Shard { index: 1, count: 3 });
        let slurm =
            env(&[("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "7")]);
        assert_eq!(Shard::parse("env", &slurm).unwrap(), Shard { index: 5, count: 7 });
        let gitlab = env(&[("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "3")]);
        assert_eq!(Shard::parse("env", &gitlab).unwrap(), Shard { index: 3, count: 3 });
        let gh = env(&[("STAGESIM_SHARD_INDEX", "1"), ("STAGESIM_SHARD_COUNT", "2"), ("CI_NODE_INDEX", "9")]);
        assert_eq!(Shard::parse("env", &gh).unwrap(), Shard { index: 1, count: 2 });
        let no_count = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert!(Shard::parse("env", &no_count).unwrap_err().to_string().contains("STAGESIM_SHARD_COUNT"));
        let s = Shard { index: 2, count: 3 };
        assert_eq!((0..7).filter(|k| s.owns(*k)).collect::<Vec<_>>(), vec![1, 4]);
    }
}
