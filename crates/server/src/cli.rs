//! The command line: `poll-api serve | check-config | migrate | env create|drop|list`.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use poll_domain::Environment;
use poll_postgres::{PostgresAdmin, PostgresStore};
use poll_redis::RedisCache;

use crate::error::ServerError;
use crate::settings::{Settings, StoreKind};
use crate::startup::{Application, shutdown_signal};
use crate::telemetry::{self, Telemetry};

/// The poll API service.
#[derive(Debug, Parser)]
#[command(
    name = "poll-api",
    version,
    about = "The poll API service: questions, choices and votes over HTTP."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Print the effective settings (secrets redacted); exit 1 when they are invalid.
    CheckConfig,
    /// Create the environment's schema if needed and apply the database migrations.
    Migrate,
    /// Manage environments: one PostgreSQL schema (and Redis key prefix) each.
    Env {
        #[command(subcommand)]
        action: EnvCommand,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides server.bind / POLL__SERVER__BIND).
    #[arg(long)]
    pub bind: Option<String>,
    /// Where the data lives (overrides store / POLL__STORE).
    #[arg(long, value_enum)]
    pub store: Option<StoreKind>,
    /// Run without the Redis cache even when redis.url is set.
    #[arg(long)]
    pub no_cache: bool,
    /// Apply the database migrations before serving (PostgreSQL store only).
    #[arg(long)]
    pub migrate: bool,
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Create an environment's schema and apply every migration (idempotent).
    Create { name: String },
    /// Drop an environment: its schema and its cache keys, nothing else.
    Drop { name: String },
    /// List the environments on the database server.
    List,
}

/// Parses the command line, runs the command and tells how it went.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&ServerError::Io(error)),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &ServerError) -> ExitCode {
    let message = format!("poll-api: {}", poll_http::problem::error_chain(error));
    tracing::error!("{message}");
    let _ = writeln!(std::io::stderr(), "{message}");
    ExitCode::FAILURE
}

async fn run(command: Command) -> Result<(), ServerError> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::CheckConfig => check_config(),
        Command::Migrate => migrate().await,
        Command::Env { action } => environments(action).await,
    }
}

fn load(overrides: &[(&str, String)]) -> Result<Settings, ServerError> {
    let settings = Settings::load(overrides)?;
    telemetry::init(settings.log.format, &settings.log.level);
    Ok(settings)
}

async fn serve(args: ServeArgs) -> Result<(), ServerError> {
    let mut overrides = Vec::new();
    if let Some(bind) = args.bind {
        overrides.push(("POLL__SERVER__BIND", bind));
    }
    if let Some(store) = args.store {
        let name = match store {
            StoreKind::Memory => "memory",
            StoreKind::Postgres => "postgres",
        };
        overrides.push(("POLL__STORE", name.to_owned()));
    }
    let mut settings = Settings::load(&overrides)?;
    let build = crate::build_info(settings.environment()?.name());
    let telemetry = Telemetry::init(&settings.log, &build)?;
    if args.no_cache {
        settings.redis = None;
    }
    let outcome = serve_until_stopped(&settings, args.migrate).await;
    // The server has stopped: export the spans still queued (blocking, so off the workers).
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    outcome
}

async fn serve_until_stopped(settings: &Settings, migrate: bool) -> Result<(), ServerError> {
    if migrate && settings.store == StoreKind::Postgres {
        migrate_with(settings).await?;
    }
    Application::build(settings)?
        .run_until_stopped(shutdown_signal())
        .await
}

fn check_config() -> Result<(), ServerError> {
    let settings = Settings::load(&[])?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{settings:#?}")?;
    Ok(())
}

async fn migrate() -> Result<(), ServerError> {
    migrate_with(&load(&[])?).await
}

async fn migrate_with(settings: &Settings) -> Result<(), ServerError> {
    let environment = settings.environment()?;
    PostgresStore::connect(settings.database()?, &environment)?
        .migrate()
        .await?;
    tracing::info!(
        environment = environment.name(),
        schema = environment.schema(),
        "migrations applied"
    );
    Ok(())
}

async fn environments(action: EnvCommand) -> Result<(), ServerError> {
    let settings = load(&[])?;
    let admin = PostgresAdmin::connect(settings.database()?)?;
    let mut out = std::io::stdout().lock();
    match action {
        EnvCommand::Create { name } => {
            let environment = parse_environment(&name)?;
            admin.create_environment(&environment).await?;
            writeln!(
                out,
                "created {} (schema {})",
                environment.name(),
                environment.schema()
            )?;
        }
        EnvCommand::Drop { name } => {
            let environment = parse_environment(&name)?;
            let dropped = admin.drop_environment(&environment).await?;
            let keys = match &settings.redis {
                Some(redis) => {
                    RedisCache::connect(redis, &environment)?
                        .drop_environment_keys()
                        .await?
                }
                None => 0,
            };
            let what = if dropped { "dropped" } else { "no schema for" };
            writeln!(
                out,
                "{what} {} (schema {}); {keys} cache keys removed",
                environment.name(),
                environment.schema()
            )?;
        }
        EnvCommand::List => {
            for entry in admin.list_environments().await? {
                let name = entry.name.as_deref().unwrap_or("(unknown)");
                writeln!(out, "{}\t{name}", entry.schema)?;
            }
        }
    }
    Ok(())
}

fn parse_environment(name: &str) -> Result<Environment, ServerError> {
    Environment::new(name).map_err(|e| ServerError::Setting(format!("environment name: {e}")))
}
