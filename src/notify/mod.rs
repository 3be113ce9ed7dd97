//! Email to staff through an outbox: messages are queued in the transaction that causes them
//! and delivered by a worker, so a slow or absent mail server never slows or breaks a page.
//! Messages never carry patient data: they say there is something to look at, and where.

pub mod db;
pub mod model;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;

use crate::config::Config;

/// Where mail goes: a relay, or files in a folder.
#[derive(Clone)]
enum Delivery {
    Relay(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

/// Where mail goes, when the clinic has configured it.
#[derive(Clone)]
pub struct Mailer {
    delivery: Delivery,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("CLINIC_SMTP_URL is not usable: {0}")]
    Url(String),
    #[error("CLINIC_MAIL_FROM is not an email address: {0}")]
    From(String),
    #[error("CLINIC_MAIL_DIR {0} cannot be used as the mail folder: {1}")]
    Folder(String, String),
}

impl Mailer {
    /// A relay when one is configured, else the mail folder, else `None` (no email).
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, MailConfigError> {
        let from = config
            .mail_from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        if let Some(url) = config.smtp_url.as_deref().filter(|u| !u.is_empty()) {
            let relay = model::parse_relay(url).map_err(MailConfigError::Url)?;
            let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(relay.host)
                .port(relay.port)
                .timeout(Some(Duration::from_secs(10)));
            if let Some((user, password)) = relay.credentials {
                builder = builder.credentials(Credentials::new(user, password));
            }
            let delivery = Delivery::Relay(builder.build());
            return Ok(Some(Mailer { delivery, from }));
        }
        if config.mail_dir.is_empty() {
            return Ok(None);
        }
        let folder = PathBuf::from(&config.mail_dir);
        std::fs::create_dir_all(&folder)
            .map_err(|e| MailConfigError::Folder(config.mail_dir.clone(), e.to_string()))?;
        Ok(Some(Mailer {
            delivery: Delivery::Folder(folder),
            from,
        }))
    }

    async fn send(&self, id: i64, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| e.to_string())?;
        match &self.delivery {
            Delivery::Relay(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Delivery::Folder(folder) => {
                // Written whole under a temporary name, then renamed: a reader never sees half.
                let path = folder.join(format!("outbox-{id}.eml"));
                let partial = folder.join(format!(".outbox-{id}.eml.part"));
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || {
                    write_private(&partial, &bytes)?;
                    std::fs::rename(&partial, &path)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
            }
        }
    }
}

/// Writes a file only its owner may read: emails carry reset and confirmation links.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // The mode applies only to a new file: a partial one left by a crash is narrowed too.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Sends every message that is due; returns how many went. Failures are retried later with
/// a growing delay.
pub async fn deliver_due(db: &PgPool, mailer: &Mailer) -> sqlx::Result<usize> {
    let mut tx = db.begin().await?;
    let due = db::claim_due(&mut *tx, 20).await?;
    let mut sent = 0;
    for message in &due {
        match mailer
            .send(
                message.id,
                &message.recipient,
                &message.subject,
                &message.body,
            )
            .await
        {
            Ok(()) => {
                db::mark_sent(&mut *tx, message.id).await?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(outbox_id = message.id, error = %error, "email not delivered; will retry");
                let retry_in = model::retry_delay_minutes(message.attempts);
                db::mark_failed(&mut *tx, message.id, &error, retry_in).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}

/// Runs for the life of the server when mail is configured.
pub async fn run_worker(db: PgPool, mailer: Mailer) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = deliver_due(&db, &mailer).await {
            tracing::warn!(error = %e, "email outbox could not be processed");
        }
    }
}
