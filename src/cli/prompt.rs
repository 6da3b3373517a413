//! Asking the operator: on a terminal through dialoguer, in scripts through standard
//! input or not at all. Passwords never come from argv.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use secrecy::SecretString;

use super::{CliError, CliResult};

/// Whether someone can answer a prompt: standard input and error are a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A new password: one line of standard input with `--password-stdin`, else typed
/// twice, hidden, on a terminal.
pub fn new_password(from_stdin: bool) -> CliResult<SecretString> {
    if from_stdin {
        return password_line(std::io::stdin().lock());
    }
    if !interactive() {
        return Err(CliError::Usage(
            "no terminal to ask for the password on: pipe it in with --password-stdin".into(),
        ));
    }

    let typed = dialoguer::Password::new()
        .with_prompt("Password")
        .with_confirmation("Repeat the password", "The passwords do not match")
        .interact()
        .context("cannot read the password")?;
    Ok(SecretString::from(typed))
}

/// The first line of `input`, without its line ending; every other character, spaces
/// included, is part of the password.
fn password_line(mut input: impl BufRead) -> CliResult<SecretString> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;

    let password = line
        .strip_suffix('\n')
        .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
        .unwrap_or(&line);
    if password.is_empty() {
        return Err(CliError::Usage("no password on standard input".into()));
    }
    Ok(SecretString::from(password.to_owned()))
}

/// A line of text typed on the terminal, with an optional default.
pub fn text(prompt: &str, default: Option<String>) -> CliResult<String> {
    let mut input = dialoguer::Input::<String>::new().with_prompt(prompt);
    if let Some(default) = default {
        input = input.default(default);
    }
    Ok(input.interact_text().context("cannot read the answer")?)
}

/// A yes/no question that defaults to no.
pub fn confirm(prompt: &str) -> CliResult<bool> {
    Ok(dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .context("cannot read the confirmation")?)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn only_the_line_ending_is_stripped() {
        let read =
            |text: &str| password_line(text.as_bytes()).map(|p| p.expose_secret().to_owned());
        assert_eq!(read(" pass word \n").unwrap(), " pass word ");
        assert_eq!(read("crlf\r\nsecond line").unwrap(), "crlf");
        assert_eq!(read("no newline").unwrap(), "no newline");
        assert!(matches!(read("\n"), Err(CliError::Usage(_))));
        assert!(matches!(read(""), Err(CliError::Usage(_))));
    }
}
