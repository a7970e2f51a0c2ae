//! A timeout on every call and bounded retries with backoff: what the AWS SDK does for the
//! AWS adapters (standard retry mode), for the local adapters.
//!
//! - A call that fails with [`Error::Transient`] is run again: the local adapters fail that
//!   way only before anything took effect (SQLite rolls the transaction back; FsBlobs
//!   writes to a temporary file and renames), so a second run is safe.
//! - A call that gives no answer within the timeout is abandoned. Whether it took effect is
//!   unknown, so only an [idempotent](super::CallKind::Idempotent) call is run again; any
//!   other fails with `Transient` and its caller decides (an HTTP client gets 503 with
//!   `Retry-After`; a queue consumer gives the message back).
//! - [`Error::StorageFull`] and every other error go straight to the caller.

use std::future::Future;
use std::time::Duration;

use super::{Call, CallKind, CallLayer};
use crate::error::{Error, Result};

/// Timeout and retries of one wrapped adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    /// How long one attempt may take (plus the call's own patience, e.g. a long poll).
    pub timeout: Duration,
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Pause before the first retry; each next one waits four times longer (with jitter).
    pub first_backoff: Duration,
}

impl Guard {
    /// The local stack's: 60 s per attempt (a 200 MB original read and written whole, a
    /// large archive assembled), 4 attempts, retries after about 25, 100 and 400 ms.
    pub const LOCAL: Guard = Guard {
        timeout: Duration::from_secs(60),
        attempts: 4,
        first_backoff: Duration::from_millis(25),
    };

    /// The pause before retry number `retry` (1-based): half fixed, half random, so
    /// callers failed together do not come back together.
    fn backoff(&self, retry: u32) -> Duration {
        let full = self
            .first_backoff
            .saturating_mul(4u32.saturating_pow(retry.saturating_sub(1)));
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_nanos(getrandom::u64().unwrap_or(0) % nanos)
    }
}

impl CallLayer for Guard {
    async fn around<T, F, Fut>(&self, call: Call, mut attempt: F) -> Result<T>
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        let limit = self.timeout.saturating_add(call.patience);
        let mut retry = 0;
        loop {
            let (error, may_retry) = match tokio::time::timeout(limit, attempt()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) => {
                    let transient = matches!(error, Error::Transient { .. });
                    (error, transient)
                }
                Err(_) => (
                    Error::transient(
                        format!("{}.{} gave no answer in {limit:?}", call.port, call.method),
                        "timed out",
                    ),
                    call.kind == CallKind::Idempotent,
                ),
            };
            retry += 1;
            if !may_retry || retry >= self.attempts {
                return Err(error);
            }
            tracing::debug!(port = call.port, method = call.method, retry, %error, "retrying");
            tokio::time::sleep(self.backoff(retry)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const GUARD: Guard = Guard {
        timeout: Duration::from_millis(100),
        attempts: 3,
        first_backoff: Duration::from_millis(1),
    };

    /// Runs a call whose attempts answer in turn from `answers` (`None`: never answers).
    async fn run(kind: CallKind, answers: Vec<Option<Result<u32>>>) -> (Result<u32>, u32) {
        let attempts = AtomicU32::new(0);
        let answers = std::sync::Mutex::new(answers);
        let call = Call::prompt("catalog", "update_photo", kind);
        let outcome = GUARD
            .around(call, || {
                let n = attempts.fetch_add(1, Ordering::Relaxed) as usize;
                let answer = answers
                    .lock()
                    .ok()
                    .and_then(|mut answers| answers.get_mut(n).and_then(Option::take));
                async move {
                    match answer {
                        Some(answer) => answer,
                        None => std::future::pending().await,
                    }
                }
            })
            .await;
        (outcome, attempts.load(Ordering::Relaxed))
    }

    fn transient() -> Result<u32> {
        Err(Error::transient("busy", "test"))
    }

    #[tokio::test]
    async fn transient_failures_are_retried_up_to_the_attempts() {
        let (outcome, attempts) = run(CallKind::Once, vec![Some(transient()), Some(Ok(7))]).await;
        assert_eq!((outcome.ok(), attempts), (Some(7), 2));
        let (outcome, attempts) = run(
            CallKind::Once,
            vec![
                Some(transient()),
                Some(transient()),
                Some(transient()),
                Some(Ok(7)),
            ],
        )
        .await;
        assert!(matches!(outcome, Err(Error::Transient { .. })));
        assert_eq!(attempts, 3);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let conflict = Err(Error::conflict("version_conflict", "stale"));
        let (outcome, attempts) =
            run(CallKind::Idempotent, vec![Some(conflict), Some(Ok(1))]).await;
        assert!(outcome.is_err_and(|e| e.is_conflict()));
        assert_eq!(attempts, 1);
        let full = Err(Error::storage_full("disk full"));
        let (outcome, attempts) = run(CallKind::Idempotent, vec![Some(full), Some(Ok(1))]).await;
        assert!(matches!(outcome, Err(Error::StorageFull { .. })));
        assert_eq!(attempts, 1);
    }

    #[tokio::test]
    async fn a_silent_call_times_out_and_only_an_idempotent_one_runs_again() {
        let (outcome, attempts) = run(CallKind::Idempotent, vec![None, Some(Ok(3))]).await;
        assert_eq!((outcome.ok(), attempts), (Some(3), 2));
        let (outcome, attempts) = run(CallKind::Once, vec![None, Some(Ok(3))]).await;
        let error = outcome.expect_err("timed out");
        assert!(matches!(error, Error::Transient { .. }), "{error}");
        assert!(
            error.to_string().contains("catalog.update_photo"),
            "{error}"
        );
        assert_eq!(attempts, 1);
    }

    #[tokio::test]
    async fn a_long_poll_gets_its_wait_on_top_of_the_timeout() {
        let call = Call {
            patience: Duration::from_secs(1),
            ..Call::prompt("queue", "receive", CallKind::Once)
        };
        let outcome = GUARD
            .around(call, || async {
                tokio::time::sleep(Duration::from_millis(900)).await;
                Ok(5)
            })
            .await;
        assert_eq!(outcome.ok(), Some(5));
    }

    #[test]
    fn backoff_grows_fourfold_with_jitter() {
        let guard = Guard::LOCAL;
        for retry in 1..=3 {
            let full = Duration::from_millis(25 * 4u64.pow(retry - 1));
            let pause = guard.backoff(retry);
            assert!(pause >= full / 2 && pause <= full, "{retry}: {pause:?}");
        }
    }
}
