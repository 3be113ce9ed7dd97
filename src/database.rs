//! Connecting to PostgreSQL: create the database if missing, explain plainly when the server
//! cannot be reached, and run migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::config::Config;

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
    #[error("could not create database {name} at {location}: {reason}")]
    CreateDatabase {
        name: String,
        location: String,
        reason: String,
    },
    #[error("database migration failed: {0}")]
    Migrate(String),
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
