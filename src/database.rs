//! Connecting to PostgreSQL: create the database if missing, explain plainly when the server
//! cannot be reached, run clinic's own PostgreSQL when none is set up, and run migrations.

pub mod mapping;
pub mod private_cluster;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::config::{Config, DEFAULT_DATABASE_URL};
use private_cluster::{ClusterError, PrivateCluster};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATABASE_URL is not a valid PostgreSQL URL ({0})")]
    BadUrl(String),
    #[error(
        "cannot reach PostgreSQL at {location} ({reason}). Start PostgreSQL (for example `sudo service postgresql start`, or `docker compose up -d db`) or point DATABASE_URL at a running server."
    )]
    Unreachable { location: String, reason: String },
    #[error("PostgreSQL at {location} refused the connection: {reason}")]
    Refused { location: String, reason: String },
    /// A refusal of the login itself (SQLSTATE class 28): wrong password, no such role, peer
    /// authentication for another OS user.
    #[error("PostgreSQL at {location} refused the connection: {reason}")]
    LoginRefused { location: String, reason: String },
    #[error("could not create database {name} at {location}: {reason}")]
    CreateDatabase {
        name: String,
        location: String,
        reason: String,
    },
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error(transparent)]
    PrivateCluster(#[from] ClusterError),
}

fn classify(config: &Config, error: sqlx::Error) -> StartupError {
    let location = config.database_location();
    match error {
        sqlx::Error::Io(e) => StartupError::Unreachable {
            location,
            reason: e.to_string(),
        },
        sqlx::Error::PoolTimedOut => StartupError::Unreachable {
            location,
            reason: "timed out".into(),
        },
        sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("28")) => {
            StartupError::LoginRefused {
                location,
                reason: db.to_string(),
            }
        }
        other => StartupError::Refused {
            location,
            reason: other.to_string(),
        },
    }
}

fn is_missing_database(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000"))
}

async fn probe(options: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    match tokio::time::timeout(Duration::from_secs(10), options.connect()).await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Connects, creating the database first if the server is there but the database is not.
pub async fn connect(config: &Config) -> Result<PgPool, StartupError> {
    let options = PgConnectOptions::from_str(&config.database_url)
        .map_err(|e| StartupError::BadUrl(e.to_string()))?
        .disable_statement_logging()
        // Every query is a prepared statement with parameters: plan it once per connection
        // instead of re-planning on each call (planning a join cost more than running it).
        // No JIT: a generic plan's cost estimate can pass jit_above_cost, and compiling a
        // short query on every call costs far more than running it.
        .options([("plan_cache_mode", "force_generic_plan"), ("jit", "off")]);
    match probe(&options).await {
        Ok(connection) => {
            let _ = connection.close().await;
        }
        Err(e) if is_missing_database(&e) => create_database(config, &options).await?,
        Err(e) => return Err(classify(config, e)),
    }
    Ok(PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings every connection it hands out by default: a whole extra round trip per
        // query. A connection used in the last half minute is alive; older ones are checked.
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_BEFORE_PING {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options))
}

/// Connects to the database at `DATABASE_URL` when it was given. Otherwise to the default
/// address (localhost:5432, or `PGHOST`/`PGPORT` as for `psql`), and when nothing answers
/// there or it refuses the login, to clinic's own PostgreSQL, started for this process (see private_cluster.rs);
/// keep the returned cluster until the end: dropping it stops the server.
pub async fn connect_or_start_own(
    config: &mut Config,
    url_given: bool,
    data_dir: Option<std::path::PathBuf>,
) -> Result<(PgPool, Option<PrivateCluster>), StartupError> {
    if url_given {
        return Ok((connect(config).await?, None));
    }
    config.database_url = default_database_url(
        std::env::var("PGHOST").ok().as_deref(),
        std::env::var("PGPORT").ok().as_deref(),
    );
    let why = match connect(config).await {
        Ok(pool) => return Ok((pool, None)),
        Err(e) => match why_not_the_default(&e) {
            Some(why) => why,
            None => return Err(e),
        },
    };
    let Some(dir) = data_dir.or_else(private_cluster::default_data_dir) else {
        return Err(ClusterError::NoDataDir { why }.into());
    };
    let shown = dir.display().to_string();
    let cluster = tokio::task::spawn_blocking(move || PrivateCluster::start(&dir, &why))
        .await
        .map_err(|e| ClusterError::Failed {
            dir: shown,
            reason: e.to_string(),
        })??;
    config.database_url = cluster.database_url();
    let pool = connect(config).await?;
    Ok((pool, Some(cluster)))
}

/// Why clinic runs its own server instead of the default one, if it should: nothing answers
/// there, or the server there refuses clinic, as a freshly installed distribution server does
/// (it wants a password, or a login as the OS user `postgres`). Nobody chose that server, so
/// it is not an error; a bad DATABASE_URL, or a server that fails otherwise, is.
fn why_not_the_default(error: &StartupError) -> Option<String> {
    match error {
        StartupError::Unreachable { location, .. } => {
            Some(format!("no PostgreSQL server answers at {location}"))
        }
        StartupError::LoginRefused { location, reason } => Some(format!(
            "the PostgreSQL server at {location} refused clinic ({reason})"
        )),
        _ => None,
    }
}

/// The default URL with the server `PGHOST` and `PGPORT` name, when set.
fn default_database_url(host: Option<&str>, port: Option<&str>) -> String {
    let host = host.filter(|h| !h.is_empty());
    let port = port.and_then(|p| p.parse::<u16>().ok());
    if host.is_none() && port.is_none() {
        return DEFAULT_DATABASE_URL.to_owned();
    }
    let port = port.unwrap_or(5432);
    match host {
        // A socket folder goes in the query, as libpq's URLs do.
        Some(dir) if dir.starts_with('/') => {
            format!("postgres://postgres@localhost:{port}/clinic?host={dir}")
        }
        Some(host) => format!("postgres://postgres@{host}:{port}/clinic"),
        None => format!("postgres://postgres@localhost:{port}/clinic"),
    }
}

async fn create_database(config: &Config, options: &PgConnectOptions) -> Result<(), StartupError> {
    let name = options.get_database().unwrap_or("clinic").to_owned();
    let mut admin = probe(&options.clone().database("postgres"))
        .await
        .map_err(|e| classify(config, e))?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    let created = sqlx::query(&format!("CREATE DATABASE {quoted}"))
        .execute(&mut admin)
        .await;
    let _ = admin.close().await;
    match created {
        Ok(_) => {
            tracing::info!(database = %name, "created database");
            Ok(())
        }
        // Another process created it first: fine.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(()),
        Err(e) => Err(StartupError::CreateDatabase {
            name,
            location: config.database_location(),
            reason: e.to_string(),
        }),
    }
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Applies pending migrations. When none are pending it changes nothing, so an app that
/// connects as a role without the right to migrate (README, Deploy) still starts.
pub async fn migrate(pool: &PgPool) -> Result<(), StartupError> {
    if is_current(pool).await {
        return Ok(());
    }
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| StartupError::Migrate(e.to_string()))
}

/// Whether every migration this build knows is applied, unchanged. Any doubt (no migrations
/// table yet, no right to read it) says no, and migrating then explains itself.
async fn is_current(pool: &PgPool) -> bool {
    // sqlx's own table, absent from the schema the query macros are checked against.
    let applied: Result<Vec<(i64, Vec<u8>)>, _> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await;
    let Ok(applied) = applied else {
        return false;
    };
    let applied: std::collections::HashMap<i64, Vec<u8>> = applied.into_iter().collect();
    MIGRATOR.iter().all(|m| {
        !m.migration_type.is_up_migration()
            || applied.get(&m.version).map(Vec::as_slice) == Some(&*m.checksum)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clinic_runs_its_own_server_when_the_default_one_is_absent_or_refuses() {
        let absent = StartupError::Unreachable {
            location: "postgres://postgres@localhost:5432/clinic".into(),
            reason: "Connection refused".into(),
        };
        assert_eq!(
            why_not_the_default(&absent).as_deref(),
            Some("no PostgreSQL server answers at postgres://postgres@localhost:5432/clinic")
        );
        let refuses = StartupError::LoginRefused {
            location: "postgres://postgres@localhost:5432/clinic".into(),
            reason: "password authentication failed".into(),
        };
        assert!(
            why_not_the_default(&refuses)
                .is_some_and(|why| why.contains("refused clinic (password authentication failed)"))
        );
        let cannot_create = StartupError::CreateDatabase {
            name: "clinic".into(),
            location: "postgres://postgres@localhost:5432/clinic".into(),
            reason: "permission denied".into(),
        };
        assert_eq!(why_not_the_default(&cannot_create), None);
        let starting = StartupError::Refused {
            location: "postgres://postgres@localhost:5432/clinic".into(),
            reason: "the database system is starting up".into(),
        };
        assert_eq!(why_not_the_default(&starting), None);
    }

    #[test]
    fn the_default_address_follows_pghost_and_pgport() {
        assert_eq!(default_database_url(None, None), DEFAULT_DATABASE_URL);
        assert_eq!(
            default_database_url(Some("127.0.0.1"), Some("6543")),
            "postgres://postgres@127.0.0.1:6543/clinic"
        );
        assert_eq!(
            default_database_url(None, Some("5433")),
            "postgres://postgres@localhost:5433/clinic"
        );
        assert_eq!(
            default_database_url(Some("/run/postgresql"), None),
            "postgres://postgres@localhost:5432/clinic?host=/run/postgresql"
        );
        assert_eq!(
            default_database_url(Some(""), Some("not a port")),
            DEFAULT_DATABASE_URL
        );
    }
}
