//! `--color auto|always|never` and `NO_COLOR` (https://no-color.org): diagnostics are coloured
//! on a terminal only. Colour is added to the rendered text, so every renderer stays plain.

use crate::diag::Error;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether to colour: `always` and `never` win; `auto` needs a terminal and no `NO_COLOR`
/// (set and non-empty disables, as no-color.org specifies).
pub fn enabled(choice: ColorChoice, terminal: bool, no_color: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(str::is_empty),
    }
}

/// Reads the terminal and the environment for `choice` (stderr, where diagnostics go).
pub fn for_stderr(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var("NO_COLOR").ok();
    enabled(choice, std::io::stderr().is_terminal(), no_color.as_deref())
}

const RED: &str = "\x1b[1;31m";
const BLUE: &str = "\x1b[1;34m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Colours rendered diagnostics: the `error:` heading, the location, the underline, the help.
pub fn paint(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, nl) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let painted = if let Some(rest) = body.strip_prefix("error:") {
            format!("{RED}error:{RESET}{BOLD}{rest}{RESET}")
        } else if body.trim_start().starts_with("-->") || body.trim_start().starts_with("= key:") {
            format!("{BLUE}{body}{RESET}")
        } else if body.trim_start().starts_with("= help:") {
            format!("{CYAN}{body}{RESET}")
        } else if body.contains(" | ") && body.trim_end().ends_with('^') {
            let (gutter, carets) = body.split_at(body.find(" | ").map_or(0, |i| i + 3));
            format!("{BLUE}{gutter}{RESET}{RED}{carets}{RESET}")
        } else {
            body.to_string()
        };
        out.push_str(&painted);
        out.push_str(nl);
    }
    out
}

/// Prints an error on stderr (coloured if asked) and returns its exit code.
pub fn print_error(e: &Error, color: bool) -> i32 {
    let text = e.to_string();
    eprintln!("{}", if color { paint(&text) } else { text });
    e.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_set_and_non_empty_disables_auto_only() {
        assert!(enabled(ColorChoice::Auto, true, None));
        assert!(enabled(ColorChoice::Auto, true, Some("")));
        assert!(!enabled(ColorChoice::Auto, true, Some("1")));
        assert!(!enabled(ColorChoice::Auto, false, None));
        assert!(enabled(ColorChoice::Always, false, Some("1")));
        assert!(!enabled(ColorChoice::Never, true, None));
    }

    #[test]
    fn paint_keeps_the_text() {
        let plain = "error: bad\n  --> a.toml:1:2\n  |\n1 | x = 1\n  |   ^\n   = help: fix\n";
        let painted = paint(plain);
        assert!(painted.contains("\x1b[1;31merror:"));
        let stripped: String = painted
            .split('\x1b')
            .enumerate()
            .map(|(i, s)| if i == 0 { s } else { s.split_once('m').map_or("", |p| p.1) })
            .collect();
        assert_eq!(stripped, plain);
    }
}
