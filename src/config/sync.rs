//! Upload and sync settings.

use super::*;

/// How uploads from the PowerSync client are taken.
#[derive(Debug, Clone, Default, Args)]
pub struct SyncArgs {
    /// Answer rejected upload transactions with 403/422 instead of 200 with
    /// `"status": "rejected"`. Only for connectors that complete rejected transactions
    /// themselves: the shipping app retries a non-2xx answer forever [default: false]
    #[arg(long, env = "SYNC_STRICT_REJECTIONS", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub sync_strict_rejections: Option<bool>,

    /// Uploads per minute per user, refilled evenly; 0 turns the limit off [default: 600]
    #[arg(long, env = "RATE_LIMIT_BATCH", value_name = "N")]
    pub rate_limit_batch: Option<u32>,

    /// Uploads a user may send at once before the per-minute rate applies [default: 100]
    #[arg(long, env = "RATE_LIMIT_BATCH_BURST", value_name = "N")]
    pub rate_limit_batch_burst: Option<u32>,

    /// Largest accepted upload body, in bytes [default: 8388608]
    #[arg(long, env = "PAPYRUS_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    pub max_upload_bytes: Option<usize>,

    /// The PowerSync service URL the app connects to, as `/sync/settings` reports it
    /// [default: http://localhost:8081]
    #[arg(long, env = "POWERSYNC_SERVICE_URL", value_name = "URL")]
    pub powersync_service_url: Option<url::Url>,

    /// File storage quota per user reported by `/sync/settings`, in bytes
    /// [default: 1073741824]
    #[arg(long, env = "FILE_STORAGE_QUOTA_BYTES", value_name = "BYTES")]
    pub file_storage_quota_bytes: Option<u64>,
}

/// Upload and sync settings, resolved.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub strict_rejections: bool,
    /// Uploads per minute per user; 0 is unlimited.
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    pub max_upload_bytes: usize,
    pub data_sync_url: String,
    pub file_storage_quota_bytes: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            strict_rejections: false,
            rate_limit_per_minute: 600,
            rate_limit_burst: 100,
            max_upload_bytes: 8 * 1024 * 1024,
            data_sync_url: "http://localhost:8081".into(),
            file_storage_quota_bytes: 1024 * 1024 * 1024,
        }
    }
}

impl SyncArgs {
    pub fn resolve(&self) -> SyncConfig {
        let defaults = SyncConfig::default();
        SyncConfig {
            strict_rejections: self
                .sync_strict_rejections
                .unwrap_or(defaults.strict_rejections),
            rate_limit_per_minute: self
                .rate_limit_batch
                .unwrap_or(defaults.rate_limit_per_minute),
            rate_limit_burst: self
                .rate_limit_batch_burst
                .unwrap_or(defaults.rate_limit_burst),
            max_upload_bytes: self.max_upload_bytes.unwrap_or(defaults.max_upload_bytes),
            data_sync_url: self
                .powersync_service_url
                .as_ref()
                .map_or(defaults.data_sync_url, |url| {
                    url.as_str().trim_end_matches('/').into()
                }),
            file_storage_quota_bytes: self
                .file_storage_quota_bytes
                .unwrap_or(defaults.file_storage_quota_bytes),
        }
    }
}
