//! The fault and spike buttons: each appends a fault (or a load shape) to the scenario text,
//! a third of the way into the run, so the time series show before, during and after. The
//! text stays the candidate's to read and edit; nothing is applied behind it.

use crate::components::ComponentSpec;
use crate::model::Model;

/// The text with the fault appended, or why this design has nothing for it to hit.
pub fn add(model: &Model, text: &str, fault: &str) -> Result<String, String> {
    let d = model.duration / 1_000_000_000;
    let at = (d / 3).max(1);
    let snippet = match fault {
        "crash" => {
            let services = model.components.iter().filter(|c| matches!(c.spec, ComponentSpec::Service(_)));
            let Some(c) = services.max_by_key(|c| c.cost.instances) else {
                return Err("no service to crash an instance of".into());
            };
            let back = (d / 4).max(1);
            format!(
                "# Button \"crash an instance\": instance 0 of {} crashes at {at}s and restarts {back}s later.\n\
                 [[faults]]\nat = \"{at}s\"\nkind = \"instance_crash\"\ntarget = \"{}\"\ninstance = 0\nrestart_after = \"{back}s\"\n",
                c.name, c.name
            )
        }
        "region" => {
            let regions = used_regions(model);
            let Some(region) = regions.last().filter(|_| regions.len() > 1) else {
                return Err("this design runs in one region, so losing it takes everything down: \
                            place components in two regions (`region = \"eu-west\"`) to see a failover"
                    .into());
            };
            format!(
                "# Button \"lose a region\": {region} is down from {at}s for {}s.\n\
                 [[faults]]\nat = \"{at}s\"\nkind = \"region_outage\"\nregion = \"{region}\"\nduration = \"{}s\"\n",
                (d / 4).max(1),
                (d / 4).max(1)
            )
        }
        "flush" => {
            let Some(c) = model.components.iter().find(|c| matches!(c.spec, ComponentSpec::Cache(_))) else {
                return Err("no cache to flush: add a `kind = \"cache\"` component first".into());
            };
            format!(
                "# Button \"flush the cache\": {} loses every entry at {at}s.\n\
                 [[faults]]\nat = \"{at}s\"\nkind = \"cache_flush\"\ntarget = \"{}\"\n",
                c.name, c.name
            )
        }
        "spike" => format!(
            "# Button \"10x spike\": traffic ramps to ten times its level from {at}s.\n\
             [[load.shapes]]\nkind = \"spike\"\nstart = \"{at}s\"\nramp_up = \"{}s\"\nmultiplier = 10\nhold = \"{}s\"\ndecay = \"{}s\"\n",
            (d / 20).max(1),
            (d / 6).max(1),
            (d / 10).max(1)
        ),
        other => return Err(format!("unknown fault `{other}`: crash, region, flush or spike")),
    };
    let mut out = text.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&snippet);
    Ok(out)
}

/// The regions components run in, in table order.
fn used_regions(model: &Model) -> Vec<String> {
    let p = &model.placement;
    let mut idx: Vec<u8> = p.comp_region.iter().flatten().copied().collect();
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().filter_map(|i| p.table.names.get(i as usize).cloned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(file: &str, fault: &str) -> String {
        let text = std::fs::read_to_string(file).unwrap();
        let m = crate::parse_scenario(file, &text).unwrap();
        let out = add(&m, &text, fault).unwrap();
        crate::parse_scenario(file, &out).unwrap_or_else(|e| panic!("{fault}: {e}"));
        out
    }

    #[test]
    fn each_button_adds_a_valid_fault() {
        let out = valid("scenarios/recipeshare/03-load-balancer.toml", "crash");
        assert!(out.contains("kind = \"instance_crash\"\ntarget = \"app\""));
        assert!(valid("scenarios/recipeshare/03-load-balancer.toml", "spike").contains("multiplier = 10"));
        assert!(valid("scenarios/time/cache-flush.toml", "flush").contains("cache_flush"));
        assert!(valid("scenarios/time/region-outage.toml", "region").contains("region_outage"));
        let text = std::fs::read_to_string("scenarios/recipeshare/03-load-balancer.toml").unwrap();
        let m = crate::parse_scenario("x", &text).unwrap();
        assert!(add(&m, &text, "flush").unwrap_err().contains("no cache"));
        assert!(add(&m, &text, "region").unwrap_err().contains("one region"));
    }
}
