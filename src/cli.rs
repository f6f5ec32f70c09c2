//! The command line: `musubi serve [--demo]`, `musubi migrate`, `musubi admin …`.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Settings, one_line};
use crate::db;
use crate::service::accounts;
use crate::startup::{Application, prepare_database};

#[derive(Parser)]
#[command(
    name = "musubi",
    version,
    about = "Event and collaboration scheduler for LINK-J WEST and Osaka Prefecture"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP (the default).
    Serve {
        /// Seed demo organizations, venues and events when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Run only the mail worker (set MUSUBI_RUN_WORKER=false for `serve` then).
    Worker {
        /// Send what is due now, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Apply pending migrations and exit.
    Migrate {
        /// Revert every migration instead (drops all data).
        #[arg(long)]
        revert_all: bool,
    },
    /// Print the DNS TXT record that publishes the DKIM key
    /// (MUSUBI_DKIM_DOMAIN, MUSUBI_DKIM_SELECTOR, MUSUBI_DKIM_KEY_FILE).
    DkimRecord,
    /// Manage organizer accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Partnering-day tools that need no database.
    Partnering {
        #[command(subcommand)]
        command: PartneringCommand,
    },
}

#[derive(Subcommand)]
enum PartneringCommand {
    /// Read an instance (JSON, see the README) and print a plan as JSON.
    Solve {
        /// The instance file; without it, or with "-", stdin.
        #[arg(long)]
        input: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an organizer account (or reset its password); reads the password from stdin.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Print a new API bearer token for an account (only its hash is stored).
    CreateToken {
        #[arg(long)]
        email: String,
    },
    /// List an account's API tokens: id, created, last used (never the secret).
    ListTokens {
        #[arg(long)]
        email: String,
    },
    /// Revoke one API token by its id, or every token of an account.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["id", "email"])))]
    RevokeToken {
        /// The token's id (from list-tokens).
        #[arg(long)]
        id: Option<String>,
        /// Revoke every token of this account.
        #[arg(long, requires = "all")]
        email: Option<String>,
        /// With --email: all of that account's tokens.
        #[arg(long, requires = "email")]
        all: bool,
    },
}

/// Runs the command line; errors become one line on stderr and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Partnering { command }) = cli.command {
        return match partnering(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("musubi: {}", one_line(&format!("{e:#}")));
                ExitCode::FAILURE
            }
        };
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("musubi: {e}");
            return ExitCode::FAILURE;
        }
    };
    crate::telemetry::init(&settings.log);
    match run(
        cli.command.unwrap_or(Command::Serve { demo: false }),
        settings,
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("musubi: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo } => serve(settings, demo),
        Command::Worker { once } => worker(settings, once),
        Command::DkimRecord => {
            let signer = settings.mail.dkim.as_ref().context(
                "DKIM signing is not configured (MUSUBI_DKIM_DOMAIN, MUSUBI_DKIM_SELECTOR, MUSUBI_DKIM_KEY_FILE)",
            )?;
            let (name, value) = signer.dns_record();
            // A TXT record's strings hold at most 255 octets each (RFC 1035
            // §3.3.14); resolvers join them again.
            let strings: Vec<String> = value
                .as_bytes()
                .chunks(250)
                .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
                .collect();
            println!("{name}. IN TXT ( {} )", strings.join(" "));
            Ok(())
        }
        Command::Migrate { revert_all } => {
            let mut conn = direct_connection(&settings)?;
            let versions = if revert_all {
                db::revert_all_migrations(&mut conn)?
            } else {
                db::run_migrations(&mut conn)?
            };
            let verb = if revert_all { "reverted" } else { "applied" };
            if versions.is_empty() {
                println!("nothing to do: {} is up to date", settings.database_url);
            }
            for v in versions {
                println!("{verb} {v}");
            }
            Ok(())
        }
        Command::Partnering { command } => partnering(command),
        Command::Admin { command } => {
            let mut conn = direct_connection(&settings)?;
            db::run_migrations(&mut conn)?;
            match command {
                AdminCommand::CreateUser { email, name } => {
                    let mut password = String::new();
                    std::io::stdin()
                        .read_to_string(&mut password)
                        .context("reading the password from stdin")?;
                    let password = password.trim_end_matches(['\r', '\n']);
                    let user = accounts::create_user(&mut conn, &email, &name, password)
                        .map_err(describe)?;
                    println!("account ready: {} <{}>", user.name, user.email);
                }
                AdminCommand::CreateToken { email } => {
                    let token = accounts::create_token(&mut conn, &email).map_err(describe)?;
                    println!("{}", token.expose());
                }
                AdminCommand::ListTokens { email } => {
                    let (user, tokens) =
                        accounts::tokens_of(&mut conn, &email).map_err(describe)?;
                    println!(
                        "API tokens of {} <{}>: {}",
                        user.name,
                        user.email,
                        tokens.len()
                    );
                    let stamp = |t: chrono::NaiveDateTime| {
                        db::to_utc(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    };
                    for t in tokens {
                        println!(
                            "{}  created {}  last used {}",
                            t.id,
                            stamp(t.created_at),
                            t.last_used_at.map_or_else(|| "never".to_owned(), stamp)
                        );
                    }
                }
                AdminCommand::RevokeToken { id, email, .. } => {
                    let what = match (id, email) {
                        (Some(id), _) => accounts::Revoke::Token(id.into()),
                        (None, Some(email)) => accounts::Revoke::AllOf(email),
                        (None, None) => anyhow::bail!("give --id ID or --email EMAIL --all"),
                    };
                    let n = accounts::revoke_tokens(&mut conn, &what).map_err(|e| match e {
                        crate::error::AppError::NotFound
                            if matches!(what, accounts::Revoke::Token(_)) =>
                        {
                            anyhow::anyhow!("no such token")
                        }
                        other => describe(other),
                    })?;
                    println!("revoked {n} token(s)");
                }
            }
            Ok(())
        }
    }
}

fn partnering(command: PartneringCommand) -> anyhow::Result<()> {
    let PartneringCommand::Solve { input } = command;
    let text = match input {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
        }
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the instance from stdin")?;
            text
        }
    };
    let jd = &mut serde_json::Deserializer::from_str(&text);
    let instance: crate::scheduling::Instance = serde_path_to_error::deserialize(jd)
        .context("the instance is not valid JSON of the documented shape")?;
    let plan = crate::scheduling::solve(&instance).context("the instance cannot be scheduled")?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    serde_json::to_writer(&mut out, &plan).context("writing the plan")?;
    std::io::Write::write_all(&mut out, b"\n").context("writing the plan")?;
    Ok(())
}

/// One connection, without a pool: a one-shot command has no use for one,
/// and a pool's background threads still opening PostgreSQL connections
/// when the process exits crash it (libpq meets its own exit handlers).
fn direct_connection(settings: &Settings) -> anyhow::Result<db::DbConn> {
    db::Manager::new(settings.database_url.clone())
        .connect()
        .with_context(|| format!("cannot connect to {}", settings.database_url))
}

/// An `AppError` for a terminal: field problems in English, one line.
fn describe(e: crate::error::AppError) -> anyhow::Error {
    use crate::error::AppError;
    match e {
        AppError::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!(
                    "{}: {}",
                    f.field,
                    f.problem.message(crate::domain::Language::En)
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        AppError::NotFound => anyhow::anyhow!("no such account"),
        AppError::Unexpected(e) => e,
        other => anyhow::anyhow!("{}", other.public_message(crate::domain::Language::En)),
    }
}

fn worker(settings: Settings, once: bool) -> anyhow::Result<()> {
    let pool = prepare_database(&settings)?;
    let keys = crate::startup::link_keys(&settings, &pool)?;
    actix_web::rt::System::new().block_on(async move {
        // lettre's connection pool needs the runtime from the start.
        let worker = crate::jobs::Worker::new(pool, settings, keys)?;
        if once {
            let round = worker
                .run_until_idle(chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "sent {}, retrying {}, failed {}, skipped {}",
                round.sent, round.retried, round.failed, round.skipped
            );
            return Ok(());
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let run = tokio::spawn(worker.run(stopped));
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("listening for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = terminate.recv() => {}
        }
        let _ = stop.send(true);
        run.await.context("stopping the worker")?;
        Ok(())
    })
}

fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let pool = prepare_database(&settings)?;
    if demo {
        let keys = crate::startup::link_keys(&settings, &pool)?;
        let mut conn = pool.get()?;
        match crate::demo::seed_if_empty(&mut conn, &keys)? {
            true => tracing::info!("seeded the demo data"),
            false => tracing::info!("database not empty: demo data not seeded"),
        }
    }
    let base_url = settings.base_url.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::with_pool(settings, pool)?;
        tracing::info!(port = app.port(), %base_url, "musubi is listening");
        app.run_until_stopped().await.context("serving HTTP")
    })
}
