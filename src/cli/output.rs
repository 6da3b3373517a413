//! How commands print: human text on a terminal, JSON with `--json`; colour only on a
//! terminal and never with `NO_COLOR`.

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
    color_enabled(std::io::stderr().is_terminal())
}

/// Colour for standard output, on the same terms as [`color_enabled_stderr`].
pub fn color_enabled_stdout() -> bool {
    color_enabled(std::io::stdout().is_terminal())
}

fn color_enabled(terminal: bool) -> bool {
    std::env::var_os("NO_COLOR").is_none() && terminal
}

/// The meaning a coloured word carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Caution,
    Bad,
    Quiet,
}

/// `text` in the colour of `tone` when `color` is on, else unchanged.
pub fn paint(text: &str, tone: Tone, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match tone {
        Tone::Good => "32",
        Tone::Caution => "33",
        Tone::Bad => "1;31",
        Tone::Quiet => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Left-aligned columns separated by two spaces, each as wide as its widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut lines = vec![line(headers.to_vec())];
    lines.extend(
        rows.iter()
            .map(|row| line(row.iter().map(String::as_str).collect())),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_paint_is_plain_without_colour() {
        let rows = vec![vec!["a".to_owned(), "long cell".to_owned(), "x".to_owned()]];
        assert_eq!(
            table(&["one", "two", "3"], &rows),
            "one  two        3\na    long cell  x"
        );
        assert_eq!(paint("fail", Tone::Bad, false), "fail");
        assert_eq!(paint("ok", Tone::Good, true), "\x1b[32mok\x1b[0m");
    }
}
