//! Wrappers around any adapter of a port: every call of the wrapped adapter goes through a
//! [`CallLayer`], which may time it out, retry it or (in tests) fail it.
//!
//! - [`guard::Guard`]: what the AWS SDK gives its clients, for the local adapters — a
//!   timeout on every call and bounded retries with backoff of transient failures. The
//!   local stack puts it around its catalog, blobs and queues.
//! - [`faults::Faults`]: fault injection for the reliability tests — every k-th call of a
//!   port fails with a transient error, or stalls past the caller's timeout. Only
//!   `picpass serve --inject-faults` turns it on.
//!
//! One wrapper type per port ([`Layered`]) carries either layer; each method names its call
//! and whether running it twice is harmless ([`CallKind`]). Presigning is local
//! computation (no I/O, nothing to time out) and passes straight through.

mod blobs;
mod catalog;
pub mod faults;
pub mod guard;
mod queue;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;

pub use faults::{FaultKind, FaultPlan, Faults};
pub use guard::Guard;

/// Whether a call may be run again after an outcome that leaves unknown whether it took
/// effect (a timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Running it twice ends as running it once: reads, whole-object writes, deletes,
    /// sends to an at-least-once queue.
    Idempotent,
    /// A second run could change the outcome: inserts (a `Conflict` the second time),
    /// counters, updates conditional on a version, multipart steps.
    Once,
}

/// One call of a port, as a layer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// `catalog`, `blobs` or `queue`.
    pub port: &'static str,
    /// The port's method.
    pub method: &'static str,
    /// Whether it may run twice.
    pub kind: CallKind,
    /// Time the call may spend waiting by design (a queue's long poll), on top of a
    /// layer's timeout.
    pub patience: Duration,
}

impl Call {
    /// A call of `port`'s `method` that should answer promptly.
    pub const fn prompt(port: &'static str, method: &'static str, kind: CallKind) -> Self {
        Self {
            port,
            method,
            kind,
            patience: Duration::ZERO,
        }
    }
}

/// What runs around every call of a wrapped adapter.
pub trait CallLayer: Send + Sync + std::fmt::Debug + 'static {
    /// Runs the call: `attempt` starts it (again, for a retry).
    fn around<T, F, Fut>(&self, call: Call, attempt: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send;
}

/// An adapter of a port (`P`: `dyn Catalog`, `dyn Blobs` or a queue) with `L` around each
/// of its calls.
#[derive(Debug)]
pub struct Layered<P: ?Sized, L> {
    inner: Arc<P>,
    layer: L,
}

impl<P: ?Sized, L: CallLayer> Layered<P, L> {
    /// `inner` with `layer` around its calls.
    pub fn new(inner: Arc<P>, layer: L) -> Self {
        Self { inner, layer }
    }

    /// The layer (a test reads how many faults it injected).
    pub fn layer(&self) -> &L {
        &self.layer
    }
}

/// `$self.inner.$method(args)` through the layer, as a call of `$port` of kind `$kind`.
macro_rules! through {
    ($self:ident, $port:literal, $kind:ident, $method:ident ( $($arg:expr),* $(,)? )) => {
        $self
            .layer
            .around(
                $crate::adapters::layers::Call::prompt(
                    $port,
                    stringify!($method),
                    $crate::adapters::layers::CallKind::$kind,
                ),
                || $self.inner.$method($($arg),*),
            )
            .await
    };
}
pub(crate) use through;
