//! The text of papyrus emails, rendered from the templates in `templates/email/`.
//!
//! A template's first line is the subject and its body starts after the blank line
//! that follows. The templates are compiled into the binary, so a deployment cannot
//! lose them. They never include text a user typed (such as a display name): anyone
//! can register with someone else's address, and that stranger's words must not reach
//! the inbox's owner.

use std::time::Duration;

use minijinja::{Environment, context};

use super::EmailError;

const VERIFY: &str = include_str!("../../templates/email/verify.txt.j2");
const RESET: &str = include_str!("../../templates/email/reset.txt.j2");

/// Which email to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Verify,
    Reset,
}

/// A rendered email, ready to be addressed and sent.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Renders `template` around a link that stays valid for `valid_for`.
pub fn render(template: Template, link: &str, valid_for: Duration) -> Result<Rendered, EmailError> {
    let source = match template {
        Template::Verify => VERIFY,
        Template::Reset => RESET,
    };
    let text = Environment::new()
        .render_str(source, context! { link, valid_for => describe(valid_for) })
        .map_err(|e| EmailError::Template(e.to_string()))?;

    let (subject, body) = text
        .split_once("\n\n")
        .ok_or_else(|| EmailError::Template("no blank line after the subject".into()))?;
    Ok(Rendered {
        subject: subject.trim().to_owned(),
        body: body.trim_start().to_owned(),
    })
}

/// "1 day", "2 hours", "90 minutes": a lifetime as a reader would say it.
fn describe(valid_for: Duration) -> String {
    let minutes = valid_for.as_secs() / 60;
    let (count, unit) = if minutes >= 60 * 24 && minutes.is_multiple_of(60 * 24) {
        (minutes / (60 * 24), "day")
    } else if minutes >= 60 && minutes.is_multiple_of(60) {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_subject_link_and_lifetime() {
        let link = "https://app.example.com/verify-email?token=abc";
        let mail = render(Template::Verify, link, Duration::from_secs(24 * 3600)).unwrap();
        assert_eq!(mail.subject, "Confirm your email address for Papyrus");
        assert!(mail.body.starts_with("Hello,"), "{}", mail.body);
        assert!(mail.body.contains(link));
        assert!(mail.body.contains("expires in 1 day"));

        let mail = render(
            Template::Reset,
            "https://x.test/r",
            Duration::from_secs(3600),
        )
        .unwrap();
        assert_eq!(mail.subject, "Reset your Papyrus password");
        assert!(mail.body.contains("expires in 1 hour"));
        assert!(mail.body.is_ascii());
    }

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(describe(Duration::from_secs(90 * 60)), "90 minutes");
        assert_eq!(describe(Duration::from_secs(120 * 60)), "2 hours");
        assert_eq!(describe(Duration::from_secs(60)), "1 minute");
    }
}
