//! Fault injection for the reliability tests: every k-th call of a port fails with a
//! transient error, or stalls (10 minutes: past any caller's timeout) before it runs.
//! Counted per wrapped adapter, so `k` holds for each port separately. A faulted call never
//! reaches the adapter: what a caller sees is a dependency that failed or went quiet.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Call, CallLayer};
use crate::error::{Error, Result};

/// How long a stalled call waits before it runs (a timeout ends it long before).
pub const STALL: Duration = Duration::from_secs(600);

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The call fails at once with [`Error::Transient`].
    Error,
    /// The call waits [`STALL`] before it runs.
    Stall,
}

/// Which calls fail, and how: `error-every=K` or `stall-every=K` (K ≥ 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// Every `every`-th call of a port is faulted.
    pub every: u64,
    /// What the fault does.
    pub kind: FaultKind,
}

impl FromStr for FaultPlan {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let usage = || format!("{text:?}: expected error-every=K or stall-every=K with K ≥ 2");
        let (kind, every) = text.split_once('=').ok_or_else(usage)?;
        let kind = match kind.trim() {
            "error-every" => FaultKind::Error,
            "stall-every" => FaultKind::Stall,
            _ => return Err(usage()),
        };
        let every: u64 = every.trim().parse().map_err(|_| usage())?;
        if every < 2 {
            return Err(usage());
        }
        Ok(Self { every, kind })
    }
}

/// The layer: one per wrapped adapter. Clones share their counts.
#[derive(Debug, Clone)]
pub struct Faults {
    plan: FaultPlan,
    calls: Arc<AtomicU64>,
    injected: Arc<AtomicU64>,
}

impl Faults {
    /// A fresh count of calls under `plan`.
    pub fn new(plan: FaultPlan) -> Self {
        Self {
            plan,
            calls: Arc::new(AtomicU64::new(0)),
            injected: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Calls seen so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }
}

impl CallLayer for Faults {
    async fn around<T, F, Fut>(&self, call: Call, mut attempt: F) -> Result<T>
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(self.plan.every) {
            self.injected.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(port = call.port, method = call.method, kind = ?self.plan.kind, "injected fault");
            match self.plan.kind {
                FaultKind::Error => {
                    return Err(Error::transient(
                        format!("{}.{}: injected fault", call.port, call.method),
                        "fault injection",
                    ));
                }
                FaultKind::Stall => tokio::time::sleep(STALL).await,
            }
        }
        attempt().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::layers::CallKind;

    const CALL: Call = Call::prompt("catalog", "get_event", CallKind::Idempotent);

    #[test]
    fn plans_read_from_text_and_refuse_nonsense() {
        assert_eq!(
            "error-every=7".parse(),
            Ok(FaultPlan {
                every: 7,
                kind: FaultKind::Error
            })
        );
        assert_eq!(
            "stall-every=13".parse::<FaultPlan>().map(|p| p.kind),
            Ok(FaultKind::Stall)
        );
        for bad in [
            "error-every=1",
            "error-every=x",
            "every=7",
            "error-every",
            "",
        ] {
            assert!(bad.parse::<FaultPlan>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn every_kth_call_fails_without_reaching_the_adapter() {
        let faults = Faults::new("error-every=3".parse().expect("plan"));
        let reached = AtomicU64::new(0);
        let mut outcomes = Vec::new();
        for _ in 0..9 {
            let outcome = faults
                .around(CALL, || async {
                    reached.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                })
                .await;
            outcomes.push(outcome.is_ok());
        }
        assert_eq!(
            outcomes,
            [true, true, false, true, true, false, true, true, false]
        );
        assert_eq!(reached.load(Ordering::Relaxed), 6);
        assert_eq!((faults.calls(), faults.injected()), (9, 3));
    }

    #[tokio::test]
    async fn a_stalled_call_goes_quiet_past_a_callers_timeout() {
        let faults = Faults::new("stall-every=2".parse().expect("plan"));
        let patient = Duration::from_millis(200);
        let first = tokio::time::timeout(patient, faults.around(CALL, || async { Ok(()) })).await;
        assert!(matches!(first, Ok(Ok(()))));
        let second = tokio::time::timeout(patient, faults.around(CALL, || async { Ok(()) })).await;
        assert!(second.is_err(), "the second call answered: {second:?}");
        assert_eq!(faults.injected(), 1);
    }
}
