//! The rules for what users may type: emails, names, passwords, device metadata.
//!
//! Each function takes raw input and returns the normalised value or a short reason
//! that completes the sentence "<field> ..." in a validation error.

/// Device kinds the app reports; anything else is refused.
pub const CLIENT_TYPES: [&str; 4] = ["mobile", "desktop", "web", "unknown"];

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Trims and lower-cases an email after checking its shape.
pub fn email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let invalid = || Err("must be a valid email address".to_owned());
    if email.len() > 255 {
        return Err("must be at most 255 characters".into());
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return invalid();
    };

    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !local.starts_with('.')
        && !local.ends_with('.');
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    let chars_ok = !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if local_ok && domain_ok && chars_ok {
        Ok(email)
    } else {
        invalid()
    }
}

/// A display name: trimmed, 1 to 100 characters.
pub fn display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err("must not be empty".into());
    }
    if chars > 100 {
        return Err("must be at most 100 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name.to_owned())
}

/// A new password; never trimmed, since spaces are part of it.
pub fn new_password(raw: &str) -> Result<(), String> {
    let chars = raw.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
    }
    Ok(())
}

pub fn client_type(raw: &str) -> Result<String, String> {
    let value = raw.trim().to_lowercase();
    if CLIENT_TYPES.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(format!("must be one of {}", CLIENT_TYPES.join(", ")))
    }
}

/// An optional free-text device label, at most 255 characters; blank is none.
pub fn device_label(raw: &str) -> Result<Option<String>, String> {
    let label = raw.trim();
    if label.chars().count() > 255 {
        return Err("must be at most 255 characters".into());
    }
    Ok((!label.is_empty()).then(|| label.to_owned()))
}

/// An avatar URL: absolute http(s), at most 2048 characters.
pub fn avatar_url(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(value.to_owned())
        }
        _ => Err("must be an absolute http or https URL".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            email("  Reader@Example.COM ").unwrap(),
            "reader@example.com"
        );
        for bad in [
            "",
            "reader",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
        assert!(email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn names_passwords_and_labels_have_limits() {
        assert_eq!(display_name("  Ada ").unwrap(), "Ada");
        assert!(display_name("   ").is_err());
        assert!(display_name(&"x".repeat(101)).is_err());
        assert!(display_name(&"é".repeat(100)).is_ok());
        assert!(new_password("1234567").is_err());
        assert!(new_password("12345678").is_ok());
        assert_eq!(client_type("Mobile").unwrap(), "mobile");
        assert!(client_type("tablet").is_err());
        assert_eq!(device_label("  ").unwrap(), None);
        assert!(device_label(&"x".repeat(256)).is_err());
        assert!(avatar_url("javascript:alert(1)").is_err());
        assert!(avatar_url("https://cdn.example.com/a.png").is_ok());
    }
}
