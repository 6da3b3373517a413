//! How commands print: human text on a terminal, JSON with `--json`.

use std::io::IsTerminal;

use serde::Serialize;

/// Where a command's result goes and in which form.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or the human text `human` renders.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => println!("{text}"),
                Err(error) => eprintln!("error: cannot encode output: {error}"),
            }
        } else {
            println!("{}", human(value));
        }
    }
}

/// Colour only on a terminal and only without `NO_COLOR`.
pub fn color_enabled_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}
