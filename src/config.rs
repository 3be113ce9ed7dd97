//! Typed configuration from environment variables, validated once at start.
//! Clinic policy (timeouts, lockouts) lives in the `clinic_settings` table instead: see settings.rs.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost:5432/clinic";

#[derive(Clone, Debug, Args)]
pub struct Config {
    /// PostgreSQL connection URL; the database is created if it does not exist.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    pub database_url: String,

    /// Address and port the web server listens on.
    #[arg(
        long,
        env = "CLINIC_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// Set when users reach the app over HTTPS (directly or through a proxy): marks cookies
    /// Secure and sends HSTS.
    #[arg(long, env = "CLINIC_HTTPS", default_value_t = false, global = true)]
    pub https: bool,

    /// Take the client's address from the last X-Forwarded-For entry, the one your reverse
    /// proxy appends (set only behind your own proxy).
    #[arg(
        long,
        env = "CLINIC_TRUST_PROXY",
        default_value_t = false,
        global = true
    )]
    pub trust_proxy: bool,

    /// Log output format.
    #[arg(long, env = "CLINIC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// Largest number of database connections this process opens.
    #[arg(
        long,
        env = "CLINIC_DB_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub db_max_connections: u32,

    /// Mail relay for staff notifications, e.g. `smtp://relay.clinic.lan:25` or
    /// `smtp://user:password@relay:587`; unset means no email. No TLS: use a relay you run.
    #[arg(long, env = "CLINIC_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Where emails are written as `.eml` files, one per message, when no mail relay is set
    /// (development, or a clinic that forwards them itself). Empty: nowhere.
    #[arg(long, env = "CLINIC_MAIL_DIR", default_value = "mail", global = true)]
    pub mail_dir: String,

    /// Sender of staff notifications.
    #[arg(
        long,
        env = "CLINIC_MAIL_FROM",
        default_value = "Clinic <clinic@localhost>",
        global = true
    )]
    pub mail_from: String,

    /// The address people use to reach the app (e.g. `https://clinic.example`), for links in
    /// emails.
    #[arg(long, env = "CLINIC_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// How many password hashes may be computed at once (each takes 19 MiB and one core);
    /// 0 means half the cores, at least one.
    #[arg(
        long,
        env = "CLINIC_HASH_CONCURRENCY",
        default_value_t = 0,
        global = true
    )]
    pub hash_concurrency: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Config {
    /// Where the database server is, without the password, for messages to the operator.
    pub fn database_location(&self) -> String {
        redact_url(&self.database_url)
    }

    /// The address links in emails start with: the configured public URL, else the address
    /// the server listens on (fine on one machine; set CLINIC_PUBLIC_URL for everyone else).
    pub fn link_base(&self) -> String {
        match self.public_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    pub fn password_hash_permits(&self) -> usize {
        if self.hash_concurrency > 0 {
            return self.hash_concurrency;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / 2).max(1)
    }
}

/// Drops any password from a connection URL (`postgres://user:secret@host` -> `postgres://user@host`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_from_database_urls() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("postgres:///db"), "postgres:///db");
    }
}
