//! `picpass serve`: every function of PicPass in one process, on one data directory
//! (`shared::wiring::local`): the HTTP functions behind one gateway ([`gateway`]), `process`
//! and `archive` consuming durable queues, the reaper on a timer ([`workers`]), and a
//! recovery pass at start ([`recovery`]) so a crash loses nothing.
//!
//! One server per data directory: it holds `<data>/serve.lock` while it runs, which is also
//! what lets recovery take over work the previous server left in flight.
//!
//! Ctrl-C / SIGTERM: the listener closes, requests in progress finish (up to
//! [`SHUTDOWN_GRACE`]), consumers stop receiving and finish their batch or hand it back,
//! then the process exits 0.

mod apigw;
mod demo;
mod gateway;
mod recovery;
mod slow_clients;
mod static_files;
mod workers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use shared::adapters::layers::{FaultPlan, Guard};
use shared::archive::ArchiveDeps;
use shared::config::Config;
use shared::http::accounts_api::AccountsDeps;
use shared::processing::ProcessDeps;
use shared::reaping::ReaperDeps;
use shared::services::Deps;
use shared::wiring::Function;
use shared::wiring::local::{JOBS_QUEUE, LocalStack, PROCESS_QUEUE};
use tokio::net::TcpListener;
use tokio::sync::watch;

use gateway::Gateway;
use slow_clients::{ClientTimeouts, IdleTimeoutBody};
use static_files::WebFiles;

/// How long requests and batches in progress get to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// `picpass serve` options.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Data directory [default: PICPASS_DATA_DIR, else ./.picpass].
    #[arg(long)]
    data: Option<PathBuf>,
    /// The web app's files [default: ./web when it exists].
    #[arg(long)]
    web: Option<PathBuf>,
    /// Seed a demo account, an event of real photos and two codes, and print them.
    #[arg(long)]
    demo: bool,
    /// Seconds between reaper sweeps (AWS runs one a day; locally expiry shows sooner).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    reap_every: u64,
    /// Seconds a client gets to send a request's headers before the connection is closed.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    header_timeout: u64,
    /// Seconds of silence in the middle of a request body before the request fails (S3: ~20).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    body_idle_timeout: u64,
    /// Milliseconds one call of the catalog, the blob store or a queue may take before it
    /// is abandoned (and retried where that is safe).
    #[arg(long, default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(50..=600_000))]
    call_timeout_ms: u64,
    /// Tests only: fail every K-th call of each port (`error-every=K`) or stall it past the
    /// call timeout (`stall-every=K`).
    #[arg(long, hide = true)]
    inject_faults: Option<FaultPlan>,
}

impl ServeArgs {
    fn client_timeouts(&self) -> ClientTimeouts {
        ClientTimeouts {
            headers: Duration::from_secs(self.header_timeout),
            body_idle: Duration::from_secs(self.body_idle_timeout),
        }
    }
}

/// Runs the server until a shutdown signal.
pub fn run(args: &ServeArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("picpass serve: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("picpass serve: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration: the environment's, with the command line's data directory, and the
/// public URL of the address actually bound unless one is configured.
fn config_for(args: &ServeArgs, bound: SocketAddr) -> shared::Result<Config> {
    let mut config = Config::from_env()?;
    if let Some(data) = &args.data {
        config.data_dir.clone_from(data);
    }
    // Empty counts as unset, as for every setting.
    let configured = std::env::var("PICPASS_PUBLIC_BASE_URL").is_ok_and(|v| !v.trim().is_empty());
    if !configured {
        config.public_base_url = format!("http://{bound}");
    }
    Ok(config)
}

/// Takes the data directory's lock, or says who holds it.
fn lock_data_dir(config: &Config) -> shared::Result<std::fs::File> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.data_dir)
        .map_err(|e| {
            shared::Error::internal(format!("creating {}", config.data_dir.display()), e)
        })?;
    let path = config.data_dir.join("serve.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| shared::Error::internal(format!("opening {}", path.display()), e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(shared::Error::conflict(
            "data_dir_in_use",
            format!(
                "another picpass serve is using {}; stop it or choose another --data",
                config.data_dir.display()
            ),
        )),
    }
}

async fn serve(args: &ServeArgs) -> shared::Result<()> {
    let listener = TcpListener::bind(args.addr)
        .await
        .map_err(|e| shared::Error::internal(format!("cannot listen on {}", args.addr), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| shared::Error::internal("reading the bound address", e))?;
    let config = config_for(args, bound)?;
    let _lock = lock_data_dir(&config)?;
    let mut stack = LocalStack::open(&config)?.with_guard(Guard {
        timeout: Duration::from_millis(args.call_timeout_ms),
        ..Guard::LOCAL
    });
    if let Some(plan) = args.inject_faults {
        eprintln!("picpass serve: injecting faults ({plan:?}): for tests only");
        stack = stack.with_faults(plan);
    }
    let config = stack.config.clone();

    let (created_tx, created_rx) = tokio::sync::mpsc::unbounded_channel();
    let blobs = Arc::new(stack.open_blobs()?.notify_created(created_tx));
    recovery::recover(&stack, blobs.as_ref()).await?;

    let adapters = stack.adapters_with(blobs.clone());
    let web_dir = args
        .web
        .clone()
        .or_else(|| Some(PathBuf::from("web")).filter(|p| p.is_dir()));
    let jwt = stack.jwt_keys()?;
    let gateway = Arc::new(Gateway {
        presign: Deps::new(&config, adapters.clone(), Function::Presign)?,
        events: Deps::new(&config, adapters.clone(), Function::Events)?,
        gallery: Deps::new(&config, adapters.clone(), Function::Gallery)?,
        accounts: AccountsDeps {
            catalog: adapters.catalog.clone(),
            jwt: jwt.clone(),
            max_body_bytes: usize::try_from(config.limits.max_json_body_bytes)
                .unwrap_or(usize::MAX),
        },
        jwt,
        blobs: blobs.clone(),
        web: WebFiles::new(web_dir.clone()),
    });

    let (stop_tx, stop_rx) = watch::channel(false);
    let notifier = tokio::spawn(workers::notify_uploads(
        created_rx,
        stack.process_consumer(),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    let process = Arc::new(ProcessDeps::new(&config, adapters.clone())?);
    tasks.spawn(workers::consume(
        "process",
        stack.process_consumer(),
        PROCESS_QUEUE.visibility_timeout,
        stop_rx.clone(),
        SHUTDOWN_GRACE,
        move |event, deadline| {
            let deps = Arc::clone(&process);
            async move {
                shared::processing::queue_messages::handle_batch_until(&deps, event, Some(deadline))
                    .await
            }
        },
    ));
    let archive = Arc::new(ArchiveDeps::new(
        &config,
        adapters.clone(),
        Function::Archive,
    )?);
    tasks.spawn(workers::consume(
        "jobs",
        stack.jobs_consumer(),
        JOBS_QUEUE.visibility_timeout,
        stop_rx.clone(),
        SHUTDOWN_GRACE,
        move |event, deadline| {
            let deps = Arc::clone(&archive);
            async move {
                shared::archive::handler::handle_batch_until(&deps, event, Some(deadline)).await
            }
        },
    ));
    tasks.spawn(workers::reap_on_timer(
        ReaperDeps::new(adapters.clone()),
        blobs.clone(),
        Duration::from_secs(args.reap_every),
        stop_rx.clone(),
    ));
    drop(adapters);

    eprintln!(
        "picpass serve: listening on http://{bound} (data {}, web {})",
        config.data_dir.display(),
        web_dir.map_or_else(|| "none".to_owned(), |d| d.display().to_string())
    );
    if args.demo {
        let base = format!("http://{bound}");
        let data = config.data_dir.clone();
        tokio::spawn(async move {
            if let Err(error) = demo::seed(&base, &data).await {
                eprintln!("picpass serve --demo: {error}");
            }
        });
    }

    accept_until_signal(listener, &gateway, args.client_timeouts()).await;
    let _ = stop_tx.send(true);
    drop(gateway);
    drop(blobs);
    // Consumers finish or hand back their batches; the notifier drains what was stored
    // (what it cannot reach before the end, recovery queues at the next start).
    while tasks.join_next().await.is_some() {}
    if tokio::time::timeout(Duration::from_secs(5), notifier)
        .await
        .is_err()
    {
        tracing::warn!("upload notifications still open at exit; the next start queues them");
    }
    if let Some(faults) = stack.faults() {
        eprintln!("picpass serve: faults injected: {}", faults.summary());
    }
    eprintln!("picpass serve: stopped");
    Ok(())
}

/// Serves connections until SIGINT or SIGTERM, then lets open requests finish for up to
/// [`SHUTDOWN_GRACE`].
async fn accept_until_signal(
    listener: TcpListener,
    gateway: &Arc<Gateway>,
    timeouts: ClientTimeouts,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.headers);
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let gateway = Arc::clone(gateway);
        let service = service_fn(move |request: hyper::Request<Incoming>| {
            let gateway = Arc::clone(&gateway);
            let request = request.map(|body| IdleTimeoutBody::new(body, timeouts.body_idle));
            async move { Ok::<_, std::convert::Infallible>(gateway.serve(request, peer.ip()).await) }
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    eprintln!("picpass serve: shutting down");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after the grace period were cut");
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; Ctrl-C still stops the server");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
