//! `stagesim validate FILE...`: every problem of every file (scenarios and journeys), without
//! simulating anything. Exit 3 if any file is invalid, 4 if one cannot be read (and none is
//! invalid).

use crate::diag::Error;

pub fn validate_files(files: &[String]) -> Result<String, Error> {
    let mut ok = String::new();
    let mut diags = Vec::new();
    let mut io = None;
    for file in files {
        match validate_one(file) {
            Ok(line) => ok.push_str(&line),
            Err(Error::Invalid(d)) => diags.extend(d),
            Err(e) => {
                // An unreadable file is reported with the others' problems, not instead of them.
                diags.push(crate::diag::Diagnostic {
                    file: file.clone(),
                    line: 1,
                    column: 1,
                    key: String::new(),
                    message: e.to_string(),
                    help: "check the path".into(),
                    source_line: String::new(),
                    width: 1,
                });
                io.get_or_insert(e);
            }
        }
    }
    match (diags.len(), io) {
        (0, _) => Ok(ok),
        (1, Some(e)) => Err(e),
        _ => Err(Error::Invalid(diags)),
    }
}

fn validate_one(file: &str) -> Result<String, Error> {
    if crate::check::journey::is_journey(file)? {
        let j = crate::journey::load_journey(file)?;
        return Ok(format!("{file}: ok (journey, {} stages)\n", j.stages.len()));
    }
    let m = crate::load::load_scenario(file)?;
    Ok(format!(
        "{file}: ok ({} components, entry `{}`)\n",
        m.components.len(),
        m.components[m.load.entry as usize].name
    ))
}
