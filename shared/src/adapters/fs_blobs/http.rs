//! A loopback HTTP server answering presigned requests with [`FsBlobs::serve`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use super::FsBlobs;

/// Serves presigned requests on `listener` until the task running it is dropped.
///
/// Bind first (e.g. `127.0.0.1:0`), then open the store with the bound address as its base
/// URL, then call this.
pub async fn serve(listener: TcpListener, blobs: Arc<FsBlobs>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning or dying.
                tracing::warn!(%error, "blob server accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let blobs = Arc::clone(&blobs);
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let blobs = Arc::clone(&blobs);
                async move { Ok::<_, Infallible>(blobs.serve(request).await.map(Full::new)) }
            });
            if let Err(error) = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %error, "blob server connection ended with an error");
            }
        });
    }
}
