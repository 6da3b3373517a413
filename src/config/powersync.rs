//! How PowerSync tokens are issued: audience and lifetime.

use super::*;

/// How PowerSync tokens are issued; shared by `serve`, `token` and `keys`.
#[derive(Debug, Clone, Default, Args)]
pub struct PowerSyncArgs {
    /// The `aud` claim of PowerSync tokens; must be one of the PowerSync service's
    /// `client_auth.audience` entries [default: papyrus-powersync]
    #[arg(long, env = "POWERSYNC_JWT_AUDIENCE", value_name = "AUDIENCE")]
    pub powersync_audience: Option<String>,

    /// Lifetime of PowerSync tokens, in minutes; at most 1440, the PowerSync service's
    /// limit [default: 5]
    #[arg(long, env = "POWERSYNC_TOKEN_EXPIRE_MINUTES", value_name = "MINUTES")]
    pub powersync_token_expire_minutes: Option<u32>,
}

/// PowerSync token settings, resolved.
#[derive(Debug, Clone)]
pub struct PowerSyncConfig {
    pub audience: String,
    /// False when the audience is the default nobody chose.
    pub audience_explicit: bool,
    pub token_ttl: Duration,
}

impl Default for PowerSyncConfig {
    fn default() -> Self {
        Self {
            audience: DEFAULT_POWERSYNC_AUDIENCE.into(),
            audience_explicit: false,
            token_ttl: Duration::from_secs(5 * 60),
        }
    }
}

pub const DEFAULT_POWERSYNC_AUDIENCE: &str = "papyrus-powersync";
/// The PowerSync service refuses tokens that live longer than a day.
pub const MAX_POWERSYNC_TOKEN_MINUTES: u32 = 24 * 60;

impl PowerSyncArgs {
    pub fn resolve(&self) -> Result<PowerSyncConfig, ConfigError> {
        let mut config = PowerSyncConfig::default();
        if let Some(audience) = self.powersync_audience.as_deref().map(str::trim) {
            if audience.is_empty() {
                return Err(ConfigError::one("POWERSYNC_JWT_AUDIENCE must not be empty"));
            }
            config.audience = audience.to_owned();
            config.audience_explicit = true;
        }
        if let Some(minutes) = self.powersync_token_expire_minutes {
            if minutes == 0 || minutes > MAX_POWERSYNC_TOKEN_MINUTES {
                return Err(ConfigError::one(format!(
                    "POWERSYNC_TOKEN_EXPIRE_MINUTES={minutes} is out of range: PowerSync \
                     accepts tokens living 1 to {MAX_POWERSYNC_TOKEN_MINUTES} minutes"
                )));
            }
            config.token_ttl = Duration::from_secs(u64::from(minutes) * 60);
        }
        Ok(config)
    }
}
