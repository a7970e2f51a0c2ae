//! The web app's files (`web/`, whatever it holds), as CloudFront serves them in AWS:
//! `/` is `index.html`, every `/e/{username}/{slug}` is the viewer page (`gallery.html`
//! when the app has one, else `index.html`: a single-page app routes itself), anything else
//! is the file at that path. Paths with `..`, hidden or empty segments never reach the disk.
//! `/config.json`, the app's runtime configuration, is generated for the local stack (same
//! origin API, local accounts) unless the directory holds one.
//!
//! Text files (HTML, JavaScript, CSS, JSON, SVG) go out gzip-compressed to clients that
//! accept it, as CloudFront's compression does: each compressed once and kept while the
//! file's length and modification time stay the same.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Response;
use hyper::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
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
    gzipped: Arc<Mutex<HashMap<PathBuf, Gzipped>>>,
}

/// A file's compressed body, valid for the version of the file it was made from.
#[derive(Debug, Clone)]
struct Gzipped {
    version: FileVersion,
    body: Bytes,
}

/// What tells one version of a file from the next without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileVersion {
    len: u64,
    modified: Option<SystemTime>,
}

/// A file read from the web directory.
struct WebFile {
    bytes: Bytes,
    version: FileVersion,
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

/// Types worth compressing: text. Images and fonts are compressed already.
fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/manifest+json")
        || content_type.starts_with("image/svg+xml")
}

/// Whether `Accept-Encoding` takes gzip (listed without `q=0`, or `*` without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut params = coding.split(';').map(str::trim);
            let name = params.next().unwrap_or_default();
            let refused = params.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// gzip at the best level: done once per file version, so the time is spent once.
fn gzip(bytes: &[u8]) -> std::io::Result<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(bytes)?;
    encoder.finish().map(Bytes::from)
}

impl WebFiles {
    /// Serves `root` (nothing when `None`).
    pub fn new(root: Option<PathBuf>) -> Self {
        Self {
            root,
            gzipped: Arc::default(),
        }
    }

    /// The file's gzip body: from the cache while the file is unchanged, else made now.
    /// `None` when compressing fails or does not make it smaller.
    async fn gzipped(&self, path: &Path, file: &WebFile) -> Option<Bytes> {
        let cached = self
            .gzipped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)
            .filter(|g| g.version == file.version)
            .map(|g| g.body.clone());
        if let Some(body) = cached {
            return (body.len() < file.bytes.len()).then_some(body);
        }
        let bytes = file.bytes.clone();
        let body = tokio::task::spawn_blocking(move || gzip(&bytes))
            .await
            .ok()?
            .ok()?;
        self.gzipped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                path.to_owned(),
                Gzipped {
                    version: file.version,
                    body: body.clone(),
                },
            );
        (body.len() < file.bytes.len()).then_some(body)
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

    /// Answers a request for `path` (compressed when its `headers` accept gzip).
    pub async fn serve(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Response<BlobBody> {
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
        let Some(read) = read_bounded(&file).await else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        let content_type = content_type(&file);
        let text = compressible(content_type);
        let gzipped = match text && accepts_gzip(headers) {
            true => self.gzipped(&file, &read).await,
            false => None,
        };
        let encoded = gzipped.is_some();
        let bytes = gzipped.unwrap_or(read.bytes);
        let mut response = match content_type.starts_with("text/html") {
            true => html(bytes, method),
            false => Response::new(body(if *method == Method::HEAD {
                Bytes::new()
            } else {
                bytes
            })),
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("public, max-age=300"));
        if text {
            headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        if encoded {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
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

async fn read_bounded(file: &Path) -> Option<WebFile> {
    let meta = tokio::fs::metadata(file).await.ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let bytes = Bytes::from(tokio::fs::read(file).await.ok()?);
    let version = FileVersion {
        len: bytes.len() as u64,
        modified: meta.modified().ok(),
    };
    Some(WebFile { bytes, version })
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
        let page = web
            .serve(&Method::GET, "/e/ada/wedding", &HeaderMap::new())
            .await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        let script = web.serve(&Method::GET, "/app.js", &HeaderMap::new()).await;
        assert_eq!(
            script.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let missing = web
            .serve(&Method::GET, "/nothing.css", &HeaderMap::new())
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let post = web.serve(&Method::POST, "/", &HeaderMap::new()).await;
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    fn accepting(encoding: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(encoding));
        headers
    }

    async fn bytes(response: Response<BlobBody>) -> Bytes {
        response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
    }

    fn gunzip(bytes: &[u8]) -> String {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .expect("gzip");
        text
    }

    #[tokio::test]
    async fn text_files_are_gzipped_for_clients_that_accept_it_and_refreshed_when_changed() {
        let dir = tempfile::tempdir().expect("dir");
        let script = "export const answer = 42;\n".repeat(200);
        std::fs::write(dir.path().join("app.js"), &script).expect("write");
        std::fs::write(dir.path().join("index.html"), "<p>app</p>".repeat(100)).expect("write");
        std::fs::write(dir.path().join("photo.jpg"), [0xffu8; 4096]).expect("write");
        let web = WebFiles::new(Some(dir.path().to_owned()));

        // GIVEN a client accepting gzip, WHEN it asks for a script, THEN it gets it compressed.
        let gz = web
            .serve(
                &Method::GET,
                "/app.js",
                &accepting("br, gzip;q=0.8, deflate"),
            )
            .await;
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gz.headers()[header::VARY], "Accept-Encoding");
        assert_eq!(
            gz.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let body = bytes(gz).await;
        assert!(body.len() < script.len() / 10, "{} bytes", body.len());
        assert_eq!(gunzip(&body), script);

        // Pages too, keeping their own headers.
        let page = web.serve(&Method::GET, "/", &accepting("gzip")).await;
        assert_eq!(page.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(gunzip(&bytes(page).await), "<p>app</p>".repeat(100));

        // Without gzip (absent, refused with q=0, or identity only): the plain bytes.
        for headers in [
            HeaderMap::new(),
            accepting("gzip;q=0, identity"),
            accepting("br"),
        ] {
            let plain = web.serve(&Method::GET, "/app.js", &headers).await;
            assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
            assert_eq!(plain.headers()[header::VARY], "Accept-Encoding");
            assert_eq!(bytes(plain).await, script.as_bytes());
        }

        // Images are never recompressed.
        let photo = web
            .serve(&Method::GET, "/photo.jpg", &accepting("gzip"))
            .await;
        assert!(photo.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(photo.headers().get(header::VARY).is_none());

        // A changed file is compressed again, not served from the stale copy.
        let changed = "export const answer = 43;\n".repeat(300);
        std::fs::write(dir.path().join("app.js"), &changed).expect("write");
        let fresh = web.serve(&Method::GET, "/app.js", &accepting("gzip")).await;
        assert_eq!(gunzip(&bytes(fresh).await), changed);
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
            let config = web
                .serve(&Method::GET, "/config.json", &HeaderMap::new())
                .await;
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
        let config = web
            .serve(&Method::GET, "/config.json", &HeaderMap::new())
            .await;
        assert_eq!(text(config).await, own);
    }
}
