//! The web app's files (`web/`, whatever it holds), as CloudFront serves them in AWS:
//! `/` is `index.html`, every `/e/{username}/{slug}` is the viewer page (`gallery.html`
//! when the app has one, else `index.html`: a single-page app routes itself), anything else
//! is the file at that path. Paths with `..`, hidden or empty segments never reach the disk.
//! `/config.json`, the app's runtime configuration, is generated for the local stack (same
//! origin API, local accounts) unless the directory holds one.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Response;
use hyper::http::{HeaderValue, Method, StatusCode, header};
use shared::adapters::fs_blobs::BlobBody;

/// Larger files are not served from memory (a web app's are a few hundred KiB).
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Shown at `/` when the checkout has no web app.
const NO_WEB_APP: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>PicPass</title>\
<h1>PicPass is running</h1><p>This checkout has no web app (<code>web/</code>); the API is at \
<code>/api</code> (see <code>openapi.yaml</code>).</p></html>";

/// The web app's configuration on the local stack: the API on the same origin, local
/// accounts (a deployment writes its own `config.json`, with Cognito's domain and client).
const LOCAL_CONFIG: &str = "{\"api_base\": \"\", \"auth\": {\"mode\": \"local\"}}\n";

/// The directory served, if any.
#[derive(Debug, Clone)]
pub struct WebFiles {
    root: Option<PathBuf>,
}

fn body(bytes: impl Into<Bytes>) -> BlobBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn plain(status: StatusCode, text: &'static str) -> Response<BlobBody> {
    let mut response = Response::new(body(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl WebFiles {
    /// Serves `root` (nothing when `None`).
    pub fn new(root: Option<PathBuf>) -> Self {
        Self { root }
    }

    /// The file a path names, relative to the root, if the path is a safe one.
    fn relative(path: &str) -> Option<PathBuf> {
        if path == "/" || path.is_empty() {
            return Some(PathBuf::from("index.html"));
        }
        let rest = path.strip_prefix('/')?;
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.first() == Some(&"e") {
            return Some(PathBuf::from("gallery.html"));
        }
        let safe = segments
            .iter()
            .all(|s| !s.is_empty() && !s.starts_with('.') && !s.contains('\\'));
        safe.then(|| segments.iter().collect())
    }

    /// Answers a request for `path`.
    pub async fn serve(&self, method: &Method, path: &str) -> Response<BlobBody> {
        if !matches!(*method, Method::GET | Method::HEAD) {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        let Some(relative) = Self::relative(path) else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        let is_config = relative == Path::new("config.json");
        if is_config
            && !self
                .root
                .as_ref()
                .is_some_and(|r| r.join(&relative).is_file())
        {
            return local_config(method);
        }
        let Some(root) = &self.root else {
            return match relative == Path::new("index.html") {
                true => html(Bytes::from_static(NO_WEB_APP.as_bytes()), method),
                false => plain(StatusCode::NOT_FOUND, "not found\n"),
            };
        };
        let mut file = root.join(&relative);
        if relative == Path::new("gallery.html") && !file.is_file() {
            file = root.join("index.html");
        }
        if file.is_dir() {
            file = file.join("index.html");
        }
        match read_bounded(&file).await {
            Some(bytes) => {
                let mut response = match content_type(&file).starts_with("text/html") {
                    true => html(bytes, method),
                    false => Response::new(body(if *method == Method::HEAD {
                        Bytes::new()
                    } else {
                        bytes
                    })),
                };
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&file)),
                );
                response
                    .headers_mut()
                    .entry(header::CACHE_CONTROL)
                    .or_insert(HeaderValue::from_static("public, max-age=300"));
                response
            }
            None => plain(StatusCode::NOT_FOUND, "not found\n"),
        }
    }
}

/// The generated `config.json`: never cached, like the pages that read it.
fn local_config(method: &Method) -> Response<BlobBody> {
    let mut response = Response::new(body(if *method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from_static(LOCAL_CONFIG.as_bytes())
    }));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// An HTML page: never cached (it names the current assets), never framed.
fn html(bytes: Bytes, method: &Method) -> Response<BlobBody> {
    let mut response = Response::new(body(if *method == Method::HEAD {
        Bytes::new()
    } else {
        bytes
    }));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn read_bounded(file: &Path) -> Option<Bytes> {
    let meta = tokio::fs::metadata(file).await.ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    tokio::fs::read(file).await.ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_files_inside_the_root_only() {
        assert_eq!(WebFiles::relative("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            WebFiles::relative("/e/ada/wedding"),
            Some(PathBuf::from("gallery.html"))
        );
        assert_eq!(
            WebFiles::relative("/assets/app.js"),
            Some(PathBuf::from("assets/app.js"))
        );
        for bad in [
            "/../secrets",
            "/a/../../b",
            "/.picpass/catalog",
            "/a//b",
            "/a\\..\\b",
        ] {
            assert_eq!(WebFiles::relative(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn files_are_served_with_their_type_and_the_viewer_page_falls_back() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("index.html"), "<p>app</p>").expect("write");
        std::fs::write(dir.path().join("app.js"), "console.log(1)").expect("write");
        let web = WebFiles::new(Some(dir.path().to_owned()));
        let page = web.serve(&Method::GET, "/e/ada/wedding").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        let script = web.serve(&Method::GET, "/app.js").await;
        assert_eq!(
            script.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let missing = web.serve(&Method::GET, "/nothing.css").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let post = web.serve(&Method::POST, "/").await;
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    async fn text(response: Response<BlobBody>) -> String {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn config_json_is_generated_for_the_local_stack_unless_the_app_has_one() {
        let dir = tempfile::tempdir().expect("dir");
        for web in [
            WebFiles::new(None),
            WebFiles::new(Some(dir.path().to_owned())),
        ] {
            let config = web.serve(&Method::GET, "/config.json").await;
            assert_eq!(config.status(), StatusCode::OK);
            assert_eq!(config.headers()[header::CONTENT_TYPE], "application/json");
            assert_eq!(config.headers()[header::CACHE_CONTROL], "no-cache");
            let value: serde_json::Value = serde_json::from_str(&text(config).await).expect("json");
            assert_eq!(
                value,
                serde_json::json!({"api_base": "", "auth": {"mode": "local"}})
            );
        }
        let own = r#"{"api_base": "https://api.example", "auth": {"mode": "cognito"}}"#;
        std::fs::write(dir.path().join("config.json"), own).expect("write");
        let web = WebFiles::new(Some(dir.path().to_owned()));
        let config = web.serve(&Method::GET, "/config.json").await;
        assert_eq!(text(config).await, own);
    }
}
