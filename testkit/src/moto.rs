//! A `moto_server` child process on 127.0.0.1, for the DynamoDB and SQS adapters' tests.
//!
//! The server binds port 0 and we read the real port from its stderr banner, so tests
//! running in parallel never fight over a port. [`MotoServer::start`] gives a test a server
//! of its own, killed when the value drops; [`shared_endpoint`] one server for the whole test
//! binary (about a second of start-up saved per fixture), which fixtures share by giving
//! their tables and queues names of their own.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Environment variable naming the `moto_server` executable explicitly.
pub const MOTO_ENV: &str = "PICPASS_MOTO_SERVER";

/// The message a test fails with when no `moto_server` can be found.
pub const NOT_FOUND_HELP: &str = "moto_server not found: run scripts/test (it creates .venv with moto[server]) or set PICPASS_MOTO_SERVER";

/// How long we give moto to print its banner before calling the start a failure.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `moto_server`; dropping it kills the process.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    endpoint_url: String,
}

impl MotoServer {
    /// Finds and starts `moto_server`, returning once it listens.
    ///
    /// Errors (as text, so tests can `expect` them and show the reason) when the executable
    /// is missing, does not start, or never announces its port.
    pub async fn start() -> Result<MotoServer, String> {
        let program = find_moto_server().ok_or_else(|| NOT_FOUND_HELP.to_owned())?;
        let python = interpreter_of(&program)?;
        let mut child = Command::new(&python)
            .args(["-c", ATOMIC_DYNAMODB, "-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {} ({e}); {NOT_FOUND_HELP}", program.display()))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| "moto_server stderr was not captured".to_owned())?;
        let mut lines = BufReader::new(stderr).lines();

        let banner = async {
            let mut seen = Vec::new();
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) => {
                        if let Some(port) = parse_port(&line) {
                            return Ok(port);
                        }
                        seen.push(line);
                    }
                    Ok(None) => {
                        return Err(format!(
                            "moto_server exited before listening; its output:\n{}",
                            seen.join("\n")
                        ));
                    }
                    Err(e) => return Err(format!("reading moto_server output: {e}")),
                }
            }
        };
        let port = tokio::time::timeout(START_TIMEOUT, banner)
            .await
            .map_err(|_| format!("moto_server did not listen within {START_TIMEOUT:?}"))??;

        // moto logs every request to stderr; a full pipe would stall it, so keep reading.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::trace!(target: "moto_server", line = %line);
            }
        });

        Ok(MotoServer {
            child,
            endpoint_url: format!("http://127.0.0.1:{port}"),
        })
    }

    /// `http://127.0.0.1:PORT` of this server, for every AWS service moto emulates.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // kill_on_drop covers the runtime-alive case; start_kill also covers drops that
        // happen after the runtime is gone.
        let _ = self.child.start_kill();
    }
}

/// Set for the shared server: the wrapper exits when its stdin closes, i.e. when the test
/// binary that started it exits (a `static` is never dropped, so nothing else would stop it).
const EXIT_WITH_PARENT_ENV: &str = "PICPASS_MOTO_EXIT_WITH_PARENT";

/// The test binary's one shared server: its stdin (held open for the server's lifetime) and
/// its address, or why it could not start.
static SHARED: OnceLock<Result<(std::process::ChildStdin, String), String>> = OnceLock::new();

/// `http://127.0.0.1:PORT` of the test binary's shared `moto_server`, started on the first
/// call. It belongs to no test's runtime (a plain child process whose output a thread
/// drains), so every test may use it, and it exits with the test binary. Blocks while it
/// starts: call it from `spawn_blocking`.
///
/// Errors (as text, like [`MotoServer::start`]) when the server cannot be started; every
/// later call gets the same error.
pub fn shared_endpoint() -> Result<&'static str, String> {
    match SHARED.get_or_init(start_shared) {
        Ok((_stdin, endpoint_url)) => Ok(endpoint_url),
        Err(e) => Err(e.clone()),
    }
}

fn start_shared() -> Result<(std::process::ChildStdin, String), String> {
    let program = find_moto_server().ok_or_else(|| NOT_FOUND_HELP.to_owned())?;
    let python = interpreter_of(&program)?;
    let mut child = std::process::Command::new(&python)
        .args(["-c", ATOMIC_DYNAMODB, "-H", "127.0.0.1", "-p", "0"])
        .env(EXIT_WITH_PARENT_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {} ({e}); {NOT_FOUND_HELP}", program.display()))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| "moto_server stdin was not captured".to_owned())?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| "moto_server stderr was not captured".to_owned())?;
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    // moto logs every request to stderr; a full pipe would stall it, so this thread reads to
    // the end, after passing on the port.
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut port_tx = Some(port_tx);
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            match (&port_tx, parse_port(&line)) {
                (Some(tx), Some(port)) => {
                    let _ = tx.send(Ok(port));
                    port_tx = None;
                }
                (Some(_), None) => seen.push(line),
                (None, _) => {}
            }
        }
        if let Some(tx) = port_tx {
            let _ = tx.send(Err(format!(
                "moto_server exited before listening; its output:\n{}",
                seen.join("\n")
            )));
        }
    });
    let port = port_rx
        .recv_timeout(START_TIMEOUT)
        .map_err(|_| format!("moto_server did not listen within {START_TIMEOUT:?}"))??;
    Ok((stdin, format!("http://127.0.0.1:{port}")))
}

/// The wrapper that makes moto's DynamoDB apply each request atomically, as DynamoDB does.
const ATOMIC_DYNAMODB: &str = include_str!("moto/atomic_dynamodb.py");

/// The Python that runs `moto_server` (a pip console script): its `#!` line.
fn interpreter_of(program: &std::path::Path) -> Result<PathBuf, String> {
    let text = std::fs::read(program)
        .map_err(|e| format!("cannot read {} ({e}); {NOT_FOUND_HELP}", program.display()))?;
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let shebang = std::str::from_utf8(first)
        .ok()
        .and_then(|line| line.strip_prefix("#!"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .ok_or_else(|| {
            format!(
                "{} is not a Python console script (no #! line); {NOT_FOUND_HELP}",
                program.display()
            )
        })?;
    // `#!/usr/bin/env python3` names the interpreter after `env`.
    let interpreter = match shebang.split_whitespace().collect::<Vec<_>>().as_slice() {
        [env, name, ..] if env.ends_with("/env") => PathBuf::from(name),
        [path, ..] => PathBuf::from(path),
        [] => return Err(format!("{} has an empty #! line", program.display())),
    };
    Ok(interpreter)
}

/// Extracts the port from ` * Running on http://127.0.0.1:PORT`.
fn parse_port(line: &str) -> Option<u16> {
    let rest = line.split("Running on http://127.0.0.1:").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `$PICPASS_MOTO_SERVER`, then `<workspace>/.venv/bin/moto_server`, then `PATH`.
fn find_moto_server() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os(MOTO_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(explicit));
    }
    let venv = workspace_root().join(".venv/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file())
}

/// The workspace root: testkit lives one level below it.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_comes_from_the_shebang() {
        let dir = tempfile::tempdir().expect("temp dir");
        let script = dir.path().join("moto_server");
        std::fs::write(&script, "#!/opt/venv/bin/python3\nimport sys\n").expect("write");
        assert_eq!(
            interpreter_of(&script).expect("interpreter"),
            PathBuf::from("/opt/venv/bin/python3")
        );
        std::fs::write(&script, "#!/usr/bin/env python3\n").expect("write");
        assert_eq!(
            interpreter_of(&script).expect("interpreter"),
            PathBuf::from("python3")
        );
        std::fs::write(&script, "\x7fELF").expect("write");
        assert!(interpreter_of(&script).is_err());
    }

    #[test]
    fn port_is_read_from_the_banner() {
        assert_eq!(
            parse_port(" * Running on http://127.0.0.1:35277"),
            Some(35277)
        );
        assert_eq!(parse_port("Press CTRL+C to quit"), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn moto_server_starts_and_answers() {
        let moto = MotoServer::start().await.expect("moto_server must start");
        let config = crate::aws::sdk_config(moto.endpoint_url()).await;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let listed = sqs
            .list_queues()
            .send()
            .await
            .expect("moto answers ListQueues");
        assert!(listed.queue_urls().is_empty());
    }
}
