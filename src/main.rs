//! The `clinic` command: serve the app, migrate, add users, check the audit trail.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use clinic::auth::model::Role;
use clinic::config::Config;
use clinic::{app, audit, database, demo, telemetry};

#[derive(Parser)]
#[command(
    name = "clinic",
    version,
    about = "Patient intake and treatment tracking for ketamine infusion clinics"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(flatten)]
    own_database: database::private_cluster::Options,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve the web app.
    Serve {
        /// Also load the demo clinic (into an empty database, once) and print one login per
        /// role, with the staff's authenticator keys.
        #[arg(long)]
        demo: bool,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The demo clinic.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Print the six-digit code a demo account's authenticator shows now.
    Code {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password is read from standard input.
    Add {
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Required for patients (YYYY-MM-DD).
        #[arg(long)]
        date_of_birth: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain and report the first broken link, if any.
    Verify {
        /// A line from `clinic audit anchor` (or the daily anchor email): also fail if the
        /// entry it names is gone or changed.
        #[arg(long)]
        anchor: Option<String>,
    },
    /// Print the current head of the chain (sequence and hash) on one line, to keep
    /// outside the database.
    Anchor,
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value).ok_or_else(|| "use patient, front-desk, clinician or admin".to_owned())
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Only a database the user named is used as is; the default one may be replaced by
    // clinic's own (database.rs).
    let url_given = !matches!(
        matches.value_source("database_url"),
        None | Some(ValueSource::DefaultValue)
    );
    telemetry::init(cli.config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut own_database = None;
    let outcome = runtime.block_on(run(cli, url_given, &mut own_database));
    // Background work (audit sealing, the session listener) ends with the runtime, before
    // clinic's own PostgreSQL, if any, stops when dropped: no errors from cut connections.
    drop(runtime);
    drop(own_database);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    cli: Cli,
    url_given: bool,
    own_database: &mut Option<database::private_cluster::PrivateCluster>,
) -> Result<(), String> {
    let mut config = cli.config;
    let (pool, cluster) =
        database::connect_or_start_own(&mut config, url_given, cli.own_database.data_dir)
            .await
            .map_err(|e| e.to_string())?;
    *own_database = cluster;
    // Checking the audit trail must not change the schema it checks.
    if !matches!(cli.command, Command::Audit { .. }) {
        database::migrate(&pool).await.map_err(|e| e.to_string())?;
    }
    match cli.command {
        Command::Migrate => {
            println!("database is up to date");
            Ok(())
        }
        Command::Serve { demo } => {
            if demo {
                let clinic = demo::load(&pool, &config.link_base())
                    .await
                    .map_err(|e| e.to_string())?;
                print_demo_logins(&clinic, &config.link_base());
            }
            let state = app::AppState::new(pool, config).map_err(|e| e.to_string())?;
            app::serve(state)
                .await
                .map_err(|e| format!("server failed: {e}"))
        }
        Command::User {
            command:
                UserCommand::Add {
                    role,
                    email,
                    name,
                    date_of_birth,
                },
        } => {
            let password = read_password()?;
            let created = demo::add_user(
                &pool,
                role,
                &email,
                &name,
                date_of_birth.as_deref(),
                &password,
            )
            .await
            .map_err(|e| e.to_string())?;
            println!(
                "added {} account {} (id {})",
                role.label().to_lowercase(),
                created.email,
                created.user_id
            );
            Ok(())
        }
        Command::Demo {
            command: DemoCommand::Code { email },
        } => {
            let code = demo::authenticator_code(&pool, &email)
                .await
                .map_err(|e| e.to_string())?;
            println!("{code}");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Anchor,
        } => {
            audit::seal(&pool).await.map_err(|e| e.to_string())?;
            match audit::anchor(&pool).await.map_err(|e| e.to_string())? {
                Some(anchor) => {
                    println!("{}", anchor.line());
                    Ok(())
                }
                None => Err("the audit trail is empty: nothing to anchor yet".into()),
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { anchor },
        } => {
            let anchor = anchor
                .map(|line| {
                    audit::Anchor::parse(&line).ok_or_else(|| {
                        "--anchor takes a line as `clinic audit anchor` prints it: audit-anchor seq=N sha256=HEX".to_owned()
                    })
                })
                .transpose()?;
            // Chain whatever the running app has not sealed yet, then check it all.
            audit::seal(&pool).await.map_err(|e| e.to_string())?;
            if let Some(anchor) = &anchor {
                match audit::check_anchor(&pool, anchor)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    audit::AnchorCheck::Holds => {}
                    audit::AnchorCheck::Gone => {
                        return Err(format!(
                            "audit trail cut back: the anchored entry {} is gone",
                            anchor.seq
                        ));
                    }
                    audit::AnchorCheck::Changed => {
                        return Err(format!(
                            "audit trail rewritten: the anchored entry {} has another hash",
                            anchor.seq
                        ));
                    }
                }
            }
            let entries = audit::count(&pool).await.map_err(|e| e.to_string())?;
            match audit::verify_chain(&pool)
                .await
                .map_err(|e| e.to_string())?
            {
                audit::ChainCheck::Intact => {
                    println!("audit trail intact: {entries} entries checked");
                    Ok(())
                }
                audit::ChainCheck::Broken { id } => Err(format!(
                    "audit trail broken: entry {id} does not match its hash or its link to the entry before it"
                )),
            }
        }
    }
}

fn print_demo_logins(clinic: &demo::DemoClinic, base: &str) {
    let state = if clinic.filled {
        "Demo clinic loaded"
    } else {
        "Demo clinic (loaded before)"
    };
    println!("{state}. Log in at {base} with:");
    for (login, key) in &clinic.logins {
        println!(
            "  {:<14} {:<24} password: {}",
            login.role.label(),
            login.email,
            login.password
        );
        if let Some(key) = key {
            println!("      authenticator key: {}", key.base32);
            println!("      or scan/open:      {}", key.url);
            println!(
                "      no phone? `clinic demo code --email {}` prints the current code",
                login.email
            );
        }
    }
    println!(
        "  Every demo patient (e.g. quinn.sample@demo.clinic) has the password: {}",
        demo::model::PATIENT_PASSWORD
    );
}

fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (input is visible; pipe it in to avoid that): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
