//! Limits that keep slow or stalled clients from holding the server: a client gets
//! [`ClientTimeouts::headers`] to send a request's headers (hyper closes the connection
//! after that), and a request body that sends nothing for [`ClientTimeouts::body_idle`]
//! ends with an error (S3 does the same after about 20 s: `RequestTimeout`).
//!
//! A connection costs a task and a socket, not a thread, so hundreds of stalled clients
//! leave the others served; these limits make sure they also go away.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long a client may take (`--header-timeout`, `--body-idle-timeout`).
#[derive(Debug, Clone, Copy)]
pub struct ClientTimeouts {
    /// From the first byte of a request's headers to the last.
    pub headers: Duration,
    /// Longest silence between two pieces of a request body.
    pub body_idle: Duration,
}

/// The error a request body ends with after [`ClientTimeouts::body_idle`] of silence.
#[derive(Debug)]
pub struct BodyStalled(pub Duration);

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the client sent nothing for {} s in the middle of the request body",
            self.0.as_secs()
        )
    }
}

impl std::error::Error for BodyStalled {}

/// A request body that fails with [`BodyStalled`] once no data arrives for `idle`.
pub struct IdleTimeoutBody<B> {
    inner: B,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
}

impl<B> IdleTimeoutBody<B> {
    pub fn new(inner: B, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
        }
    }
}

impl<B> Body for IdleTimeoutBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.timer.as_mut().reset(Instant::now() + this.idle);
                Poll::Ready(frame.map(|result| result.map_err(Into::into)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled(this.idle))))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use http_body_util::BodyExt;

    /// Sends its frames at once, then ends, or stalls for ever.
    struct Scripted {
        frames: VecDeque<Bytes>,
        stall: bool,
    }

    impl Body for Scripted {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let this = self.get_mut();
            match (this.frames.pop_front(), this.stall) {
                (Some(bytes), _) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                (None, true) => Poll::Pending,
                (None, false) => Poll::Ready(None),
            }
        }
    }

    fn scripted(frames: &[&'static [u8]], stall: bool) -> Scripted {
        Scripted {
            frames: frames.iter().map(|f| Bytes::from_static(f)).collect(),
            stall,
        }
    }

    #[tokio::test]
    async fn a_body_that_keeps_sending_is_read_whole() {
        let body = IdleTimeoutBody::new(scripted(&[b"ab", b"cd"], false), Duration::from_secs(1));
        let bytes = body.collect().await.expect("whole body").to_bytes();
        assert_eq!(&bytes[..], b"abcd");
    }

    #[tokio::test]
    async fn a_body_that_stops_sending_fails_after_the_idle_time() {
        let idle = Duration::from_millis(200);
        let body = IdleTimeoutBody::new(scripted(&[b"ab"], true), idle);
        let started = Instant::now();
        let error = tokio::time::timeout(Duration::from_secs(10), body.collect())
            .await
            .expect("the stalled body ends by itself")
            .expect_err("a stalled body fails");
        assert!(error.is::<BodyStalled>(), "{error}");
        assert!(started.elapsed() >= idle);
    }
}
