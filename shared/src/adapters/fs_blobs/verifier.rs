//! The HTTP side of presigned URLs: checks a request the way S3 checks a presigned one, in
//! S3's order, and answers with S3's status codes and XML error bodies.
//!
//! Order: query authentication present → not expired (403 `AccessDenied`) → signature over
//! method, key and every signed header/parameter (403 `SignatureDoesNotMatch`) → the body
//! (400 `IncompleteBody`, 400 `BadDigest`) → the object or upload (404 `NoSuchKey` /
//! `NoSuchUpload`) → for a GET, its `Range` (416 `InvalidRange`; see [`super::range`]).
//! Bodies stream to a temporary file and are published only after the checksum matched, so
//! a refused upload stores nothing (unlike s3s-fs).

use std::pin::pin;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

use super::body::{self, Cursor};
use super::multipart::{self, MAX_PART_BYTES};
use super::range::{self, Requested};
use super::record::{self, DirPolicy, Meta, blocking};
use super::signing::Constraints;
use super::{EXPIRES_PARAM, FsBlobs, SIGNATURE_PARAM, etag_of, prune};
use crate::domain::Timestamp;
use crate::error::BoxError;

/// Query parameter of a GET naming the `Content-Disposition` to answer with.
pub const DISPOSITION_PARAM: &str = "response-content-disposition";
/// Query parameter of a part PUT naming the upload.
pub const UPLOAD_ID_PARAM: &str = "uploadId";
/// Query parameter of a part PUT naming the part.
pub const PART_NUMBER_PARAM: &str = "partNumber";
/// Header carrying the base64 SHA-256 of a PUT body.
pub const CHECKSUM_HEADER: &str = "x-amz-checksum-sha256";

/// A response body: small in-memory bodies (errors, empty 200s) or an object streamed from
/// its file, so a multi-gigabyte archive is never held in memory.
pub type BlobBody = UnsyncBoxBody<Bytes, std::io::Error>;

fn full(bytes: Bytes) -> BlobBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Bytes read per chunk of a streamed object: large enough that the blocking-pool round
/// trip per chunk is noise, small enough to hold one per download.
const STREAM_CHUNK: u64 = 256 * 1024;

/// Streams the cursor's range, a chunk at a time from the blocking pool.
fn stream(cursor: Cursor) -> BlobBody {
    let chunks = futures::stream::unfold(Some(cursor), |cursor| async move {
        let mut cursor = cursor?;
        let read = tokio::task::spawn_blocking(move || {
            let chunk = cursor.next_chunk(STREAM_CHUNK);
            (cursor, chunk)
        })
        .await;
        match read {
            Ok((_, Ok(None))) => None,
            Ok((cursor, Ok(Some(chunk)))) => Some((Ok(Frame::data(chunk)), Some(cursor))),
            // Report the error once, then end: hyper aborts the response.
            Ok((_, Err(e))) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    StreamBody::new(chunks).boxed_unsync()
}

/// An S3-shaped refusal.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
}

const fn refuse(status: StatusCode, code: &'static str, message: &'static str) -> Refusal {
    Refusal {
        status,
        code,
        message,
    }
}

const SIGNATURE_MISMATCH: Refusal = refuse(
    StatusCode::FORBIDDEN,
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided.",
);
const INTERNAL: Refusal = refuse(
    StatusCode::INTERNAL_SERVER_ERROR,
    "InternalError",
    "We encountered an internal error. Please try again.",
);

fn error_response(refusal: &Refusal) -> Response<BlobBody> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>",
        refusal.code, refusal.message
    );
    let mut response = Response::new(full(Bytes::from(body)));
    *response.status_mut() = refusal.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/xml"),
    );
    response
}

/// The query parameters we understand; anything else is unsigned and therefore refused.
#[derive(Default)]
struct Query {
    expires: Option<String>,
    signature: Option<String>,
    disposition: Option<String>,
    upload_id: Option<String>,
    part_number: Option<String>,
    unknown: bool,
}

fn parse_query(query: &str) -> Query {
    let mut parsed = Query::default();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            EXPIRES_PARAM => &mut parsed.expires,
            SIGNATURE_PARAM => &mut parsed.signature,
            DISPOSITION_PARAM => &mut parsed.disposition,
            UPLOAD_ID_PARAM => &mut parsed.upload_id,
            PART_NUMBER_PARAM => &mut parsed.part_number,
            _ => {
                parsed.unknown = true;
                continue;
            }
        };
        if slot.replace(value.into_owned()).is_some() {
            // A repeated parameter is ambiguous; treat it like an unsigned one.
            parsed.unknown = true;
        }
    }
    parsed
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

impl FsBlobs {
    /// Answers one presigned request (`PUT` of an object or part, `GET` of an object).
    /// Any body type works: hyper's `Incoming` on the server, `Full<Bytes>` in tests.
    ///
    /// Never panics and never buffers more than the signed length (parts: the
    /// `Content-Length` they declare, at most 5 GiB, streamed to disk).
    pub async fn serve<B>(&self, request: Request<B>) -> Response<BlobBody>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let mut body = Some(body);
        match self.handle(parts, &mut body).await {
            Ok(response) => response,
            Err(refusal) => {
                tracing::debug!(
                    code = refusal.code,
                    status = refusal.status.as_u16(),
                    "presigned request refused"
                );
                // A body refused before it was read is read and dropped (up to a bound),
                // so the client reads the refusal instead of a broken connection, as S3's
                // clients do.
                if let Some(unread) = body {
                    drain(unread, MAX_DRAINED_BYTES).await;
                }
                error_response(&refusal)
            }
        }
    }

    async fn handle<B>(
        &self,
        parts: hyper::http::request::Parts,
        body: &mut Option<B>,
    ) -> Result<Response<BlobBody>, Refusal>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let key = parts
            .uri
            .path()
            .strip_prefix(&self.base_path)
            .and_then(|p| p.strip_prefix('/'))
            .and_then(|p| percent_decode_str(p).decode_utf8().ok())
            .ok_or(refuse(
                StatusCode::BAD_REQUEST,
                "InvalidURI",
                "Couldn't parse the specified URI.",
            ))?
            .into_owned();
        let query = parse_query(parts.uri.query().unwrap_or_default());
        let (Some(expires), Some(signature)) = (&query.expires, &query.signature) else {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Query-string authentication requires the signature and expires parameters.",
            ));
        };
        let expires: i64 = expires.parse().map_err(|_| {
            refuse(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Invalid date (should be seconds since epoch)",
            )
        })?;
        if Timestamp::from_epoch_secs(expires).has_passed(Timestamp::now()) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Request has expired",
            ));
        }
        if query.unknown {
            return Err(SIGNATURE_MISMATCH);
        }
        let method = parts.method.as_str();
        let headers = &parts.headers;
        let is_part = query.upload_id.is_some() || query.part_number.is_some();
        let constraints = match (&parts.method, is_part) {
            (&Method::PUT, false) if query.disposition.is_none() => Constraints::Put {
                content_type: header_text(headers, "content-type"),
                content_length: header_text(headers, "content-length"),
                sha256_base64: header_text(headers, CHECKSUM_HEADER),
            },
            (&Method::PUT, true) if query.disposition.is_none() => Constraints::Part {
                upload_id: query.upload_id.as_deref().unwrap_or_default(),
                part_number: query.part_number.as_deref().unwrap_or_default(),
                content_length: header_text(headers, "content-length"),
            },
            (&Method::GET, false) => Constraints::Get {
                content_disposition: query.disposition.as_deref(),
            },
            _ => return Err(SIGNATURE_MISMATCH),
        };
        if !self
            .signer
            .verify(method, &key, expires, &constraints, signature)
        {
            return Err(SIGNATURE_MISMATCH);
        }
        match constraints {
            Constraints::Put {
                content_type,
                content_length,
                sha256_base64,
            } => {
                let body = body.take().ok_or(INTERNAL)?;
                self.put_object(&key, content_type, content_length, sha256_base64, body)
                    .await
            }
            Constraints::Part {
                upload_id,
                part_number,
                content_length,
            } => {
                let body = body.take().ok_or(INTERNAL)?;
                self.put_part(&key, upload_id, part_number, content_length, body)
                    .await
            }
            Constraints::Get {
                content_disposition,
            } => {
                let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
                self.get_object(&key, content_disposition, range).await
            }
        }
    }

    async fn put_object<B>(
        &self,
        key: &str,
        content_type: &str,
        content_length: &str,
        sha256_base64: &str,
        body: B,
    ) -> Result<Response<BlobBody>, Refusal>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let length: u64 = content_length.parse().map_err(|_| SIGNATURE_MISMATCH)?;
        let expected: [u8; 32] = STANDARD
            .decode(sha256_base64)
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or(refuse(
                StatusCode::BAD_REQUEST,
                "InvalidDigest",
                "The checksum you specified is not valid.",
            ))?;
        let path = self.object_file(key).map_err(|_| SIGNATURE_MISMATCH)?;
        let dir = path.parent().ok_or(INTERNAL)?;
        let (writer, digest) = match receive(dir, DirPolicy::Create, length, body).await {
            Ok(received) => received,
            Err(refusal) => {
                prune(&self.objects, dir);
                return Err(refusal);
            }
        };
        if digest != expected {
            // Dropped unpublished, the temporary file goes: nothing is stored, and the
            // directories made for it are pruned again.
            drop(writer);
            prune(&self.objects, dir);
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "BadDigest",
                "The SHA256 you specified did not match the calculated checksum.",
            ));
        }
        let etag = etag_of(&digest);
        let meta = Meta {
            content_type: content_type.to_owned(),
            etag: etag.clone(),
            parts: None,
        };
        let replaced = writer.commit(&meta, &path).await.map_err(write_refusal)?;
        self.discard(replaced).await;
        self.announce(key, length, etag.clone());
        tracing::debug!(key, bytes = length, "presigned put stored");
        Ok(ok_with_etag(&etag))
    }

    async fn put_part<B>(
        &self,
        key: &str,
        upload_id: &str,
        part_number: &str,
        declared_length: &str,
        body: B,
    ) -> Result<Response<BlobBody>, Refusal>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let invalid_argument = refuse(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
        );
        let part_number: u32 = part_number.parse().map_err(|_| invalid_argument)?;
        multipart::check_part_number(part_number).map_err(|_| {
            refuse(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })?;
        let length: u64 = declared_length.parse().map_err(|_| {
            refuse(
                StatusCode::LENGTH_REQUIRED,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            )
        })?;
        if length > MAX_PART_BYTES {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
            ));
        }
        let upload = multipart::load(self, key, upload_id)
            .await
            .map_err(upload_refusal)?;
        let (writer, digest) = receive(&upload.dir, DirPolicy::MustExist, length, body).await?;
        let etag = etag_of(&digest);
        let meta = Meta {
            content_type: String::new(),
            etag: etag.clone(),
            parts: None,
        };
        // Completed or aborted while the body arrived: the part is refused, not revived.
        writer
            .commit(&meta, &upload.part_file(part_number))
            .await
            .map_err(upload_refusal)?;
        Ok(ok_with_etag(&etag))
    }

    async fn get_object(
        &self,
        key: &str,
        content_disposition: Option<&str>,
        range: Option<&str>,
    ) -> Result<Response<BlobBody>, Refusal> {
        let no_such_key = || {
            refuse(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            )
        };
        let path = self.object_file(key).map_err(|_| no_such_key())?;
        let objects = self.objects.clone();
        let object = blocking(move || body::open(&objects, &path))
            .await
            .map_err(|_| INTERNAL)?
            .ok_or_else(no_such_key)?;
        let length = object.len;
        let (status, bytes) = match range::requested(range, length) {
            Requested::Whole => (StatusCode::OK, 0..length),
            Requested::Part(bytes) => (StatusCode::PARTIAL_CONTENT, bytes),
            Requested::Unsatisfiable => return Ok(unsatisfiable(length)),
        };
        // Objects are served from the app's own origin in the local stack: always with the
        // stored type, never sniffed, and sandboxed, so an upload that is both an image and
        // a script or a page can be neither.
        let content_type = match object.meta.content_type.is_empty() {
            true => "application/octet-stream".to_owned(),
            false => object.meta.content_type.clone(),
        };
        let mut builder = Response::builder()
            .status(status)
            .header(header::CONTENT_LENGTH, bytes.end - bytes.start)
            .header(header::ETAG, object.meta.etag.clone())
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox",
            );
        if status == StatusCode::PARTIAL_CONTENT {
            let last = bytes.end.saturating_sub(1);
            let content_range = format!("bytes {}-{last}/{length}", bytes.start);
            builder = builder.header(header::CONTENT_RANGE, content_range);
        }
        if let Some(disposition) = content_disposition {
            builder = builder.header(header::CONTENT_DISPOSITION, disposition);
        }
        builder
            .body(stream(Cursor::new(object, bytes)))
            .map_err(|_| INTERNAL)
    }
}

/// S3's 416 for a range past the end, with the size in `Content-Range` (RFC 9110).
fn unsatisfiable(length: u64) -> Response<BlobBody> {
    let mut response = error_response(&refuse(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "InvalidRange",
        "The requested range is not satisfiable",
    ));
    if let Ok(value) = header::HeaderValue::from_str(&format!("bytes */{length}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    response
}

/// `NoSuchUpload` for an upload that is gone (or never was), else an internal error.
fn upload_refusal(error: crate::Error) -> Refusal {
    match error {
        crate::Error::NotFound { .. } => refuse(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified upload does not exist.",
        ),
        _ => INTERNAL,
    }
}

const STORAGE_FULL: Refusal = refuse(
    StatusCode::SERVICE_UNAVAILABLE,
    "ServiceUnavailable",
    "The server's disk is full: nothing was stored. Free space, then send it again.",
);

/// A write that failed: `ServiceUnavailable` when the disk is full (nothing is stored and
/// the same request works once space is freed), else an internal error.
fn write_refusal(error: crate::Error) -> Refusal {
    match error {
        crate::Error::StorageFull { .. } => STORAGE_FULL,
        _ => INTERNAL,
    }
}

fn ok_with_etag(etag: &str) -> Response<BlobBody> {
    let mut response = Response::new(full(Bytes::new()));
    if let Ok(value) = header::HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Most bytes of a refused request's body read and dropped before answering.
const MAX_DRAINED_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and drops `body` until its end or past `max` bytes (then the connection closes).
async fn drain<B>(body: B, max: u64)
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let mut body = pin!(body);
    let mut read = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(data) = frame.data_ref() {
            read = read.saturating_add(data.len() as u64);
            if read > max {
                return;
            }
        }
    }
}

/// Streams exactly `length` body bytes into a new record in `dir`, hashing them. More or
/// fewer bytes are refused; reading stops as soon as the body runs past `length`.
async fn receive<B>(
    dir: &std::path::Path,
    policy: DirPolicy,
    length: u64,
    body: B,
) -> Result<(record::Writer, [u8; 32]), Refusal>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let incomplete = || {
        refuse(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        )
    };
    let mut writer = record::Writer::create(dir, policy)
        .await
        .map_err(|e| match policy {
            DirPolicy::MustExist => upload_refusal(e),
            DirPolicy::Create => write_refusal(e),
        })?;
    let mut hasher = Sha256::new();
    let mut body = pin!(body);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| incomplete())?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if writer.written() + data.len() as u64 > length {
            return Err(incomplete());
        }
        hasher.update(&data);
        writer.write(&data).await.map_err(write_refusal)?;
    }
    if writer.written() != length {
        return Err(incomplete());
    }
    Ok((writer, hasher.finalize().into()))
}
