//! Typed configuration from environment variables, validated once at start.
//! Clinic policy (timeouts, lockouts) lives in the `clinic_settings` table instead: see settings.rs.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost:5432/clinic";

#[derive(Clone, Args)]
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

    #[command(flatten)]
    pub limits: Limits,
}

/// What one client can make this process spend: time, memory, connections and password
/// hashes. Each has a default that suits a clinic; tests shorten them.
#[derive(Clone, Debug, Args)]
pub struct Limits {
    /// How long a client may take to send a request's headers (slow or idle connections are
    /// closed after it), e.g. `30s`, `500ms`.
    #[arg(long, env = "CLINIC_HEADER_TIMEOUT", default_value = "30s", value_parser = parse_duration, global = true)]
    pub header_timeout: Duration,

    /// How long a request may take before it is answered 503 (the work itself still finishes).
    #[arg(long, env = "CLINIC_REQUEST_TIMEOUT", default_value = "60s", value_parser = parse_duration, global = true)]
    pub request_timeout: Duration,

    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(
        long,
        env = "CLINIC_BODY_LIMIT",
        default_value_t = Limits::DEFAULT_BODY_LIMIT,
        global = true
    )]
    pub body_limit: usize,

    /// Most client connections open at once; further clients wait to be accepted.
    #[arg(
        long,
        env = "CLINIC_MAX_CONNECTIONS",
        default_value_t = Limits::DEFAULT_MAX_CONNECTIONS,
        global = true
    )]
    pub max_connections: usize,

    /// Longest wait for a password-hashing slot; a request that would wait longer gets 503
    /// with Retry-After.
    #[arg(long, env = "CLINIC_HASH_WAIT", default_value = "5s", value_parser = parse_duration, global = true)]
    pub hash_wait: Duration,

    /// Registrations one client address may make per hour.
    #[arg(
        long,
        env = "CLINIC_REGISTRATIONS_PER_HOUR",
        default_value_t = Limits::DEFAULT_REGISTRATIONS_PER_HOUR,
        global = true
    )]
    pub registrations_per_hour: u32,

    /// Password-reset requests one client address may make per hour.
    #[arg(
        long,
        env = "CLINIC_RESET_REQUESTS_PER_HOUR",
        default_value_t = Limits::DEFAULT_RESET_REQUESTS_PER_HOUR,
        global = true
    )]
    pub reset_requests_per_hour: u32,
}

impl Limits {
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
    pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
    pub const DEFAULT_REGISTRATIONS_PER_HOUR: u32 = 20;
    pub const DEFAULT_RESET_REQUESTS_PER_HOUR: u32 = 20;
}

impl Default for Limits {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            body_limit: Self::DEFAULT_BODY_LIMIT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            hash_wait: Duration::from_secs(5),
            registrations_per_hour: Self::DEFAULT_REGISTRATIONS_PER_HOUR,
            reset_requests_per_hour: Self::DEFAULT_RESET_REQUESTS_PER_HOUR,
        }
    }
}

/// A duration as an operator writes it: `30s`, `500ms`, `2m`, or bare seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 30s, 500ms, 2m)"))?;
    match unit.trim() {
        "" | "s" => Ok(Duration::from_secs(number)),
        "ms" => Ok(Duration::from_millis(number)),
        "m" => Ok(Duration::from_secs(number.saturating_mul(60))),
        _ => Err(format!("{text:?}: use ms, s or m (e.g. 30s, 500ms, 2m)")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Written out by hand so that printing the configuration never prints a password.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("https", &self.https)
            .field("trust_proxy", &self.trust_proxy)
            .field("log_format", &self.log_format)
            .field("db_max_connections", &self.db_max_connections)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_dir", &self.mail_dir)
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .field("hash_concurrency", &self.hash_concurrency)
            .field("limits", &self.limits)
            .finish()
    }
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

/// What stands in for a password that is never shown.
const HIDDEN: &str = "***";

/// The one place a connection URL (or libpq `key=value` string) is made fit to print: the
/// password in the user part and any `password`-like query parameter are replaced by `***`.
/// Used for every URL that reaches a log line, an error or the terminal. Where the URL is
/// malformed it errs towards hiding too much.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_key_values(url);
    };
    // The authority ends at the first `/`; a raw `@` belongs to the password, so the user
    // part runs to the last `@` before that (as the URL parsers sqlx uses read it).
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (authority, tail) = match authority.rfind('@') {
        Some(at) => {
            let (credentials, host) = authority.split_at(at);
            let credentials = match credentials.split_once(':') {
                Some((user, _password)) => format!("{user}:{HIDDEN}"),
                None => credentials.to_owned(),
            };
            (format!("{credentials}{host}"), tail.to_owned())
        }
        None => {
            // No user part: a `?query` may start right after the host.
            let query_start = authority.find(['?', '#']).unwrap_or(authority.len());
            let (host, query) = authority.split_at(query_start);
            (host.to_owned(), format!("{query}{tail}"))
        }
    };
    format!("{scheme}://{authority}{}", redact_query(&tail))
}

/// Whether a parameter's name says it holds a secret (`password`, `sslpassword`, `pass`...).
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("pass") || key.contains("secret") || key.contains("token")
}

/// `/db?user=u&password=x` -> `/db?user=u&password=***`.
fn redact_query(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let parameters: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_key(&percent_decoded_lossy(key)) => {
                format!("{key}={HIDDEN}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", parameters.join("&"))
}

/// libpq's `host=h password=x` form: every secret value hidden.
fn redact_key_values(text: &str) -> String {
    text.split(' ')
        .map(|word| match word.split_once('=') {
            Some((key, _)) if is_secret_key(key) => format!("{key}={HIDDEN}"),
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `pass%77ord` is `password` too.
fn percent_decoded_lossy(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn the_command_lines_limits_are_the_defaults() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            limits: Limits,
        }
        let parsed = <Cli as clap::Parser>::try_parse_from(["clinic"])
            .unwrap()
            .limits;
        let default = Limits::default();
        assert_eq!(parsed.header_timeout, default.header_timeout);
        assert_eq!(parsed.request_timeout, default.request_timeout);
        assert_eq!(parsed.hash_wait, default.hash_wait);
    }

    #[test]
    fn passwords_in_the_user_part_are_hidden() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u:pw@h"), "postgres://u:***@h");
        assert_eq!(redact_url("postgres://u:@h/db"), "postgres://u:***@h/db");
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "postgres://u@h/db",
            "postgres:///db",
            "postgres://h:5432/db?sslmode=disable",
            "postgres://h?application_name=a@b",
            "postgres://%2Fvar%2Frun%2Fpostgresql/clinic",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn a_password_holding_at_signs_is_hidden_whole() {
        assert_eq!(
            redact_url("postgres://u:p@ss@w@rd@db.example:5432/clinic"),
            "postgres://u:***@db.example:5432/clinic"
        );
        // The user part runs to the last `@`, as sqlx reads it: `user@hostname` is the user.
        assert_eq!(
            redact_url("postgres://user@hostname:password@hostname:5432/database"),
            "postgres://user@hostname:***@hostname:5432/database"
        );
        assert_eq!(
            redact_url("postgres://u:p%40ss@h/db"),
            "postgres://u:***@h/db"
        );
    }

    #[test]
    fn password_query_parameters_are_hidden() {
        assert_eq!(
            redact_url("postgres:///clinic?password=s3cret"),
            "postgres:///clinic?password=***"
        );
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=disable&password=a@b&application_name=x"),
            "postgres://u@h/db?sslmode=disable&password=***&application_name=x"
        );
        assert_eq!(
            redact_url("postgres://h?PASSWORD=x&sslpassword=y"),
            "postgres://h?PASSWORD=***&sslpassword=***"
        );
        assert_eq!(
            redact_url("postgres://h/db?pass%77ord=x"),
            "postgres://h/db?pass%77ord=***"
        );
        assert_eq!(
            redact_url("postgres://u:pw@h/db?password=x"),
            "postgres://u:***@h/db?password=***"
        );
    }

    #[test]
    fn smtp_relay_urls_are_hidden_the_same_way() {
        assert_eq!(
            redact_url("smtp://mailer:p@ss@relay:587"),
            "smtp://mailer:***@relay:587"
        );
    }

    #[test]
    fn key_value_connection_strings_hide_the_password() {
        assert_eq!(
            redact_url("host=db user=clinic password=s3cret dbname=clinic"),
            "host=db user=clinic password=*** dbname=clinic"
        );
    }

    #[test]
    fn the_configuration_prints_no_password() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            config: Config,
        }
        let config = <Cli as clap::Parser>::try_parse_from([
            "clinic",
            "--database-url",
            "postgres://u:db-secret@h/db?password=q-secret",
            "--smtp-url",
            "smtp://m:mail-secret@relay",
        ])
        .unwrap()
        .config;
        let shown = format!("{config:?} {}", config.database_location());
        for secret in ["db-secret", "q-secret", "mail-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("postgres://u:***@h/db"), "{shown}");
    }
}
