//! Sending email over SMTP with lettre.
//!
//! `SMTP_USE_SSL` speaks TLS from the first byte (implicit TLS, port 465 style),
//! `SMTP_USE_TLS` upgrades with STARTTLS and refuses a server that cannot, and neither
//! sends in the clear. Certificates are checked against the platform's trust store.
//! Every exchange with the server is bounded by [`SMTP_TIMEOUT`], so a hung server
//! costs a request a few seconds, not a minute.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use super::EmailError;
use super::messages::Rendered;
use crate::config::{SmtpConfig, SmtpSecurity};

/// How long one SMTP command may take before the send counts as failed.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// An SMTP connection recipe and the sender every message carries; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// Fails on a sender address lettre cannot use or a TLS set-up it cannot build.
    pub fn new(config: &SmtpConfig) -> Result<Self, EmailError> {
        let address: Address = config
            .from_email
            .parse()
            .map_err(|e| EmailError::Transport(format!("SMTP_FROM_EMAIL: {e}")))?;
        let from = Mailbox::new(Some(config.from_name.clone()), address);

        let host = config.host.as_str();
        let builder = match config.security {
            SmtpSecurity::ImplicitTls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpSecurity::Plain => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|e| EmailError::Transport(format!("SMTP TLS set-up for {host}: {e}")))?;

        let mut builder = builder.port(config.port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            let secret = password.expose_secret().to_owned();
            builder = builder.credentials(Credentials::new(user.clone(), secret));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one plain-text message to `to`.
    pub async fn send(&self, to: &str, message: &Rendered) -> Result<(), EmailError> {
        let recipient: Address = to
            .parse()
            .map_err(|e| EmailError::Delivery(format!("recipient address: {e}")))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, recipient))
            .subject(message.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| EmailError::Delivery(format!("building the message: {e}")))?;

        self.transport
            .send(email)
            .await
            .map_err(|e| EmailError::Delivery(e.to_string()))?;
        Ok(())
    }

    /// Connects, greets and quits without sending: the work a request that sends
    /// nothing does, so its answer takes a comparable time and fails the same way
    /// when the server is down.
    pub async fn probe(&self) -> Result<(), EmailError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(EmailError::Delivery(
                "the SMTP server did not answer".into(),
            )),
            Err(e) => Err(EmailError::Delivery(e.to_string())),
        }
    }
}
