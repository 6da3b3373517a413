//! Email delivery settings.

use super::*;

/// How papyrus sends verification and password reset emails.
#[derive(Debug, Clone, Default, Args)]
pub struct EmailArgs {
    /// Send verification and password reset emails over SMTP; needs SMTP_HOST,
    /// SMTP_FROM_EMAIL and APP_PUBLIC_BASE_URL [default: false]
    #[arg(long, env = "EMAIL_DELIVERY_ENABLED", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub email_delivery_enabled: Option<bool>,

    /// Host name of the SMTP server
    #[arg(long, env = "SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,

    /// Port of the SMTP server [default: 587; 465 with SMTP_USE_SSL; 25 in the clear]
    #[arg(long, env = "SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,

    /// User name for SMTP authentication; the password comes from SMTP_PASSWORD or
    /// SMTP_PASSWORD_FILE [default: no authentication]
    #[arg(long, env = "SMTP_USERNAME", value_name = "USER")]
    pub smtp_username: Option<String>,

    /// Require STARTTLS; false with SMTP_USE_SSL unset sends in the clear [default: true]
    #[arg(long, env = "SMTP_USE_TLS", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub smtp_use_tls: Option<bool>,

    /// Speak TLS from the first byte (implicit TLS, as on port 465) [default: false]
    #[arg(long, env = "SMTP_USE_SSL", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub smtp_use_ssl: Option<bool>,

    /// Sender address of papyrus emails
    #[arg(long, env = "SMTP_FROM_EMAIL", value_name = "EMAIL")]
    pub smtp_from_email: Option<String>,

    /// Sender name of papyrus emails [default: Papyrus]
    #[arg(long, env = "SMTP_FROM_NAME", value_name = "NAME")]
    pub smtp_from_name: Option<String>,

    /// Lifetime of email verification links, in minutes [default: 1440]
    #[arg(
        long,
        env = "EMAIL_VERIFICATION_TOKEN_EXPIRE_MINUTES",
        value_name = "MINUTES"
    )]
    pub email_verification_token_expire_minutes: Option<u32>,

    /// Lifetime of password reset links, in minutes [default: 60]
    #[arg(
        long,
        env = "PASSWORD_RESET_TOKEN_EXPIRE_MINUTES",
        value_name = "MINUTES"
    )]
    pub password_reset_token_expire_minutes: Option<u32>,
}

/// Email settings, resolved.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// The SMTP server; `None` when delivery is off.
    pub smtp: Option<SmtpConfig>,
    pub verification_token_ttl: Duration,
    pub reset_token_ttl: Duration,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            verification_token_ttl: Duration::from_secs(24 * 60 * 60),
            reset_token_ttl: Duration::from_secs(60 * 60),
        }
    }
}

/// Where and how emails are handed over.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from_email: String,
    pub from_name: String,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS: only for a relay on the same host or a test server.
    Plain,
    /// STARTTLS, refusing servers that do not offer it.
    StartTls,
    /// TLS from the first byte.
    ImplicitTls,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::ImplicitTls => 465,
        }
    }
}

impl EmailArgs {
    /// Resolves the email settings; `SMTP_PASSWORD` is read from `env` only.
    pub fn resolve(&self, env: EnvLookup<'_>) -> Result<EmailConfig, ConfigError> {
        let mut problems = Vec::new();
        let mut config = EmailConfig::default();
        let lifetimes = [
            (
                self.email_verification_token_expire_minutes,
                "EMAIL_VERIFICATION",
            ),
            (self.password_reset_token_expire_minutes, "PASSWORD_RESET"),
        ];
        for (minutes, name) in lifetimes {
            if minutes == Some(0) {
                problems.push(format!("{name}_TOKEN_EXPIRE_MINUTES must be at least 1"));
            }
        }
        if let Some(minutes) = self.email_verification_token_expire_minutes {
            config.verification_token_ttl = Duration::from_secs(u64::from(minutes) * 60);
        }
        if let Some(minutes) = self.password_reset_token_expire_minutes {
            config.reset_token_ttl = Duration::from_secs(u64::from(minutes) * 60);
        }

        if self.email_delivery_enabled.unwrap_or(false) {
            config.smtp = self.smtp(env, &mut problems);
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(config)
    }

    fn smtp(&self, env: EnvLookup<'_>, problems: &mut Vec<String>) -> Option<SmtpConfig> {
        let host = self
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty());
        if host.is_none() {
            problems.push("EMAIL_DELIVERY_ENABLED is set but SMTP_HOST is not".into());
        }
        let from_email = match self
            .smtp_from_email
            .as_deref()
            .map(crate::auth::input::email)
        {
            Some(Ok(email)) => Some(email),
            Some(Err(reason)) => {
                problems.push(format!("SMTP_FROM_EMAIL {reason}"));
                None
            }
            None => {
                problems.push("EMAIL_DELIVERY_ENABLED is set but SMTP_FROM_EMAIL is not".into());
                None
            }
        };
        let from_name =
            crate::auth::input::display_name(self.smtp_from_name.as_deref().unwrap_or("Papyrus"))
                .map_err(|reason| problems.push(format!("SMTP_FROM_NAME {reason}")))
                .ok();
        let security = self.security(problems);
        let password = self.smtp_password(env, host.unwrap_or(""), security, problems);

        Some(SmtpConfig {
            host: host?.to_owned(),
            port: self.smtp_port.unwrap_or(security.default_port()),
            security,
            username: self.smtp_username.clone(),
            password,
            from_email: from_email?,
            from_name: from_name?,
        })
    }

    fn security(&self, problems: &mut Vec<String>) -> SmtpSecurity {
        match (self.smtp_use_ssl.unwrap_or(false), self.smtp_use_tls) {
            (true, Some(true)) => {
                problems.push(
                    "SMTP_USE_TLS and SMTP_USE_SSL are both set: choose STARTTLS (SMTP_USE_TLS) \
                     or TLS from the first byte (SMTP_USE_SSL)"
                        .into(),
                );
                SmtpSecurity::ImplicitTls
            }
            (true, _) => SmtpSecurity::ImplicitTls,
            (false, Some(false)) => SmtpSecurity::Plain,
            (false, _) => SmtpSecurity::StartTls,
        }
    }

    /// The SMTP password, which must come with a user name and must not cross the
    /// network in the clear.
    fn smtp_password(
        &self,
        env: EnvLookup<'_>,
        host: &str,
        security: SmtpSecurity,
        problems: &mut Vec<String>,
    ) -> Option<SecretString> {
        let password = read_secret("SMTP_PASSWORD", env).unwrap_or_else(|p| {
            problems.push(p);
            None
        });
        if self.smtp_username.is_some() != password.is_some() {
            problems.push("SMTP_USERNAME and SMTP_PASSWORD must be set together".into());
        }
        let local = matches!(host, "localhost" | "127.0.0.1" | "::1");
        if password.is_some() && security == SmtpSecurity::Plain && !local {
            problems.push(
                "SMTP_PASSWORD would be sent in the clear: set SMTP_USE_TLS or SMTP_USE_SSL".into(),
            );
        }
        password
    }
}

#[cfg(test)]
mod email_tests {
    use super::*;

    fn enabled() -> EmailArgs {
        EmailArgs {
            email_delivery_enabled: Some(true),
            smtp_host: Some("smtp.example.com".into()),
            smtp_from_email: Some("Papyrus@Example.com".into()),
            ..Default::default()
        }
    }

    #[test]
    fn delivery_defaults_to_starttls_on_587() {
        let config = enabled().resolve(&|_| None).unwrap();
        let smtp = config.smtp.unwrap();
        assert_eq!(smtp.security, SmtpSecurity::StartTls);
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.from_email, "papyrus@example.com");
        assert_eq!(smtp.from_name, "Papyrus");
        assert_eq!(config.reset_token_ttl, Duration::from_secs(3600));

        let off = EmailArgs::default().resolve(&|_| None).unwrap();
        assert!(off.smtp.is_none());
    }

    #[test]
    fn delivery_settings_are_checked_together() {
        let args = EmailArgs {
            email_delivery_enabled: Some(true),
            smtp_use_tls: Some(true),
            smtp_use_ssl: Some(true),
            smtp_username: Some("mailer".into()),
            password_reset_token_expire_minutes: Some(0),
            ..Default::default()
        };
        let error = args.resolve(&|_| None).unwrap_err();
        assert_eq!(error.problems.len(), 5, "{error}");

        let clear = EmailArgs {
            smtp_use_tls: Some(false),
            smtp_username: Some("mailer".into()),
            ..enabled()
        };
        let env = |name: &str| (name == "SMTP_PASSWORD").then(|| "hunter2".to_owned());
        let error = clear.resolve(&env).unwrap_err();
        assert!(error.to_string().contains("in the clear"), "{error}");
        assert!(!error.to_string().contains("hunter2"));
    }
}
