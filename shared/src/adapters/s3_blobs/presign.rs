//! SigV4 query-string presigning without the SDK's request pipeline.
//!
//! The SDK presigner runs the whole operation pipeline per URL (≈ 39 µs each); a gallery
//! page or a batch of upload tickets asks for hundreds. Here the day's signing key is
//! derived once and its keyed HMAC state reused, so a URL costs two SHA-256 passes and a
//! little string building. The output is byte-for-byte what `aws-sdk-s3` produces for the
//! same inputs and signing time (a unit test below holds us to it): `x-id` first, the
//! operation's own query parameters, then the `X-Amz-*` parameters in the SDK's order,
//! `UNSIGNED-PAYLOAD`, single percent-encoding, no path normalisation.
//!
//! Credentials are a snapshot taken when the adapter is built. That fits static keys and
//! Lambda's environment credentials (key, secret and session token, valid for the life of
//! the execution environment); refreshable credentials (SSO, assumed roles) must be
//! re-resolved with [`Presigner::set_credentials`] before the snapshot expires, which
//! `S3Blobs::refresh_credentials` does.

use std::fmt::Write as _;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::ports::PresignedRequest;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (query values).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Object keys are a greedy path label: like a query value, but `/` separates segments.
const PATH: &AsciiSet = &QUERY.remove(b'/');

/// SigV4 limits a presigned URL to seven days.
const MAX_EXPIRES_SECS: u64 = 604_800;
const SERVICE: &str = "s3";
const SECS_PER_DAY: i64 = 86_400;

/// Where objects live: the bucket's base URL as the SDK's endpoint rules resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEndpoint {
    /// `scheme://host[:port]`.
    origin: String,
    /// The `host` header value: host, plus the port when it is not the scheme's default.
    host: String,
    /// Path before the key: `/bucket` for path-style, empty for virtual-host style.
    base_path: String,
}

impl BucketEndpoint {
    /// From a resolved bucket URL such as `https://b.s3.eu-west-1.amazonaws.com` or
    /// `http://127.0.0.1:9000/b`.
    pub fn parse(bucket_url: &str) -> Result<Self> {
        let url = url::Url::parse(bucket_url)
            .map_err(|e| Error::internal("the S3 endpoint is not a valid URL", e))?;
        let host_name = url
            .host_str()
            .ok_or_else(|| Error::internal_msg("the S3 endpoint URL has no host"))?;
        let host = match url.port() {
            Some(port) => format!("{host_name}:{port}"),
            None => host_name.to_owned(),
        };
        Ok(Self {
            origin: format!("{}://{host}", url.scheme()),
            host,
            base_path: url.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// What is being presigned, with the inputs that become signed query parameters or headers.
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    /// `PutObject` binding type, length and SHA-256 (base64) as signed headers.
    PutObject {
        /// `Content-Type` the client must send.
        content_type: &'a str,
        /// `Content-Length` the client must send.
        content_length: u64,
        /// Base64 SHA-256 the client must send as `x-amz-checksum-sha256`.
        checksum_sha256: &'a str,
    },
    /// `GetObject`, optionally overriding the response's `Content-Disposition`.
    GetObject {
        /// Sent back as the response's `Content-Disposition`.
        content_disposition: Option<&'a str>,
    },
    /// `UploadPart` of a multipart upload, binding its length as a signed header.
    UploadPart {
        /// The multipart upload.
        upload_id: &'a str,
        /// 1-based part number.
        part_number: u32,
        /// `Content-Length` the client must send.
        content_length: u64,
    },
}

/// Signs presigned S3 URLs for one bucket and region.
#[derive(Debug)]
pub struct Presigner {
    endpoint: BucketEndpoint,
    region: String,
    signer: RwLock<Arc<DaySigner>>,
}

/// A credentials snapshot with the signing key of one UTC day already derived.
struct DaySigner {
    credentials: Credentials,
    /// Bumped by every credentials refresh, to tell a refresh from a day change.
    generation: u64,
    /// Days since the epoch this key signs for.
    day: i64,
    /// `AKID/YYYYMMDD/region/s3/aws4_request`, percent-encoded as it appears in the query.
    credential_param: String,
    /// `YYYYMMDD/region/s3/aws4_request` for the string to sign.
    scope: String,
    /// `X-Amz-Security-Token`, percent-encoded, when the credentials carry one.
    token_param: Option<String>,
    /// HMAC-SHA256 keyed with the day's signing key; cloned per signature so the key's
    /// inner and outer pads are hashed once per day, not once per URL.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for DaySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key material.
        f.debug_struct("DaySigner")
            .field("day", &self.day)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl DaySigner {
    fn derive(credentials: Credentials, generation: u64, region: &str, day: i64) -> Result<Self> {
        let date = format_date(day)?;
        let hmac = |key: &[u8], data: &str| -> Result<Vec<u8>> {
            let mut mac = Hmac::<Sha256>::new_from_slice(key)
                .map_err(|e| Error::internal("HMAC key rejected", e))?;
            mac.update(data.as_bytes());
            Ok(mac.finalize().into_bytes().to_vec())
        };
        let k_secret = format!("AWS4{}", credentials.secret_access_key());
        let k_date = hmac(k_secret.as_bytes(), &date)?;
        let k_region = hmac(&k_date, region)?;
        let k_service = hmac(&k_region, SERVICE)?;
        let k_signing = hmac(&k_service, "aws4_request")?;
        let mac = Hmac::<Sha256>::new_from_slice(&k_signing)
            .map_err(|e| Error::internal("HMAC key rejected", e))?;
        let scope = format!("{date}/{region}/{SERVICE}/aws4_request");
        let credential = format!("{}/{scope}", credentials.access_key_id());
        Ok(Self {
            credential_param: encode_query(&credential),
            token_param: credentials.session_token().map(encode_query),
            scope,
            day,
            mac,
            credentials,
            generation,
        })
    }
}

impl Presigner {
    /// A presigner for `endpoint` in `region`, signing with a snapshot of `credentials`.
    pub fn new(endpoint: BucketEndpoint, region: &str, credentials: Credentials) -> Result<Self> {
        let today = Timestamp::now().epoch_secs().div_euclid(SECS_PER_DAY);
        let signer = DaySigner::derive(credentials, 0, region, today)?;
        Ok(Self {
            endpoint,
            region: region.to_owned(),
            signer: RwLock::new(Arc::new(signer)),
        })
    }

    /// Replaces the credentials snapshot (after re-resolving refreshable credentials).
    pub fn set_credentials(&self, credentials: Credentials) -> Result<()> {
        let today = Timestamp::now().epoch_secs().div_euclid(SECS_PER_DAY);
        let mut slot = self.signer.write().unwrap_or_else(PoisonError::into_inner);
        let generation = slot.generation.wrapping_add(1);
        *slot = Arc::new(DaySigner::derive(
            credentials,
            generation,
            &self.region,
            today,
        )?);
        Ok(())
    }

    /// When the current credentials snapshot expires, if it does.
    pub fn credentials_expiry(&self) -> Option<SystemTime> {
        self.current().credentials.expiry()
    }

    fn current(&self) -> Arc<DaySigner> {
        Arc::clone(&self.signer.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The signer for `day`: the cached one, or a fresh derivation. A newer day replaces the
    /// cache; an older one (tests signing in the past) is derived without evicting today's.
    fn signer_for(&self, day: i64) -> Result<Arc<DaySigner>> {
        let cached = self.current();
        if cached.day == day {
            return Ok(cached);
        }
        let fresh = Arc::new(DaySigner::derive(
            cached.credentials.clone(),
            cached.generation,
            &self.region,
            day,
        )?);
        if day > cached.day {
            let mut slot = self.signer.write().unwrap_or_else(PoisonError::into_inner);
            // Another thread may have refreshed credentials meanwhile: keep theirs.
            if slot.day < day && slot.generation == cached.generation {
                *slot = Arc::clone(&fresh);
            }
        }
        Ok(fresh)
    }

    /// The URL (and headers to send) for `operation` on `key`, signed at `signed_at` and
    /// valid for `expires_in_secs` (1 to 604,800).
    pub fn presign(
        &self,
        key: &str,
        operation: Operation<'_>,
        signed_at: Timestamp,
        expires_in_secs: u64,
    ) -> Result<PresignedRequest> {
        if !(1..=MAX_EXPIRES_SECS).contains(&expires_in_secs) {
            return Err(Error::invalid(
                "invalid_expiry",
                format!("a presigned URL lives 1 to {MAX_EXPIRES_SECS} seconds"),
            ));
        }
        let secs = signed_at.epoch_secs();
        let signer = self.signer_for(secs.div_euclid(SECS_PER_DAY))?;
        let amz_date = format_date_time(secs)?;

        let mut path = String::with_capacity(self.endpoint.base_path.len() + key.len() + 8);
        path.push_str(&self.endpoint.base_path);
        path.push('/');
        path.extend(utf8_percent_encode(key, PATH));

        // The operation's own query parameters, encoded, in the order the SDK writes them.
        let mut op_params: Vec<(&str, String)> = Vec::with_capacity(3);
        // Signed headers (lower-case name, value), sorted by name.
        let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(4);
        let method = match operation {
            Operation::PutObject {
                content_type,
                content_length,
                checksum_sha256,
            } => {
                op_params.push(("x-id", "PutObject".to_owned()));
                headers.push(("content-length", content_length.to_string()));
                headers.push(("content-type", header_value(content_type)?));
                headers.push(("x-amz-checksum-sha256", header_value(checksum_sha256)?));
                "PUT"
            }
            Operation::GetObject {
                content_disposition,
            } => {
                op_params.push(("x-id", "GetObject".to_owned()));
                if let Some(disposition) = content_disposition {
                    op_params.push(("response-content-disposition", encode_query(disposition)));
                }
                "GET"
            }
            Operation::UploadPart {
                upload_id,
                part_number,
                content_length,
            } => {
                headers.push(("content-length", content_length.to_string()));
                op_params.push(("x-id", "UploadPart".to_owned()));
                op_params.push(("partNumber", part_number.to_string()));
                op_params.push(("uploadId", encode_query(upload_id)));
                "PUT"
            }
        };
        let signed_headers = signed_header_names(&headers);
        let signed_headers_param = encode_query(&signed_headers);
        let expires = expires_in_secs.to_string();

        // Canonical query: every parameter but the signature, sorted by encoded name/value.
        let mut query: Vec<(&str, &str)> = op_params
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        query.extend([
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", signer.credential_param.as_str()),
            ("X-Amz-Date", amz_date.as_str()),
            ("X-Amz-Expires", expires.as_str()),
            ("X-Amz-SignedHeaders", signed_headers_param.as_str()),
        ]);
        if let Some(token) = &signer.token_param {
            query.push(("X-Amz-Security-Token", token.as_str()));
        }
        query.sort_unstable();

        let mut canonical = String::with_capacity(512);
        canonical.push_str(method);
        canonical.push('\n');
        canonical.push_str(&path);
        canonical.push('\n');
        for (i, (name, value)) in query.iter().enumerate() {
            if i > 0 {
                canonical.push('&');
            }
            canonical.push_str(name);
            canonical.push('=');
            canonical.push_str(value);
        }
        canonical.push('\n');
        // `host` sorts between `content-*` and `x-amz-*`.
        let mut host_written = false;
        for (name, value) in &headers {
            if !host_written && *name > "host" {
                push_header(&mut canonical, "host", &self.endpoint.host);
                host_written = true;
            }
            push_header(&mut canonical, name, value);
        }
        if !host_written {
            push_header(&mut canonical, "host", &self.endpoint.host);
        }
        canonical.push('\n');
        canonical.push_str(&signed_headers);
        canonical.push_str("\nUNSIGNED-PAYLOAD");

        let mut string_to_sign = String::with_capacity(160);
        string_to_sign.push_str("AWS4-HMAC-SHA256\n");
        string_to_sign.push_str(&amz_date);
        string_to_sign.push('\n');
        string_to_sign.push_str(&signer.scope);
        string_to_sign.push('\n');
        string_to_sign.push_str(&hex::encode(Sha256::digest(canonical.as_bytes())));

        let mut mac = signer.mac.clone();
        mac.update(string_to_sign.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());

        let mut url = String::with_capacity(canonical.len() + 64);
        url.push_str(&self.endpoint.origin);
        url.push_str(&path);
        for (i, (name, value)) in op_params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(value);
        }
        // Writing to a String cannot fail.
        let _ = write!(
            url,
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={amz_date}\
             &X-Amz-Expires={expires}&X-Amz-SignedHeaders={signed_headers_param}\
             &X-Amz-Signature={signature}",
            signer.credential_param,
        );
        if let Some(token) = &signer.token_param {
            url.push_str("&X-Amz-Security-Token=");
            url.push_str(token);
        }

        Ok(PresignedRequest {
            method: method.to_owned(),
            url,
            headers: headers
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
            expires_at: signed_at.plus_secs(i64::try_from(expires_in_secs).unwrap_or(i64::MAX)),
        })
    }
}

fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// A header value as SigV4 canonicalises it (trimmed, inner runs of spaces collapsed);
/// control characters cannot be sent as a header at all.
fn header_value(value: &str) -> Result<String> {
    if value.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::invalid(
            "invalid_header_value",
            "a signed header value contains control characters",
        ));
    }
    let mut out = String::with_capacity(value.len());
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Ok(out)
}

fn signed_header_names(headers: &[(&'static str, String)]) -> String {
    let mut names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
    names.push("host");
    names.sort_unstable();
    names.join(";")
}

fn push_header(canonical: &mut String, name: &str, value: &str) {
    canonical.push_str(name);
    canonical.push(':');
    canonical.push_str(value);
    canonical.push('\n');
}

/// `YYYYMMDD` of a day number (days since 1970-01-01).
fn format_date(day: i64) -> Result<String> {
    let (y, m, d) = civil_from_days(day)?;
    Ok(format!("{y:04}{m:02}{d:02}"))
}

/// `YYYYMMDDTHHMMSSZ` of epoch seconds.
fn format_date_time(secs: i64) -> Result<String> {
    let (y, m, d) = civil_from_days(secs.div_euclid(SECS_PER_DAY))?;
    let rem = secs.rem_euclid(SECS_PER_DAY);
    Ok(format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

/// Gregorian (year, month, day) of a day number, for years 1970 to 9999 (H. Hinnant's
/// `civil_from_days`). SigV4 dates are four-digit years, so anything else is refused.
fn civil_from_days(day: i64) -> Result<(i64, i64, i64)> {
    // 2,932,896 = days from 1970-01-01 to 9999-12-31.
    if !(0..=2_932_896).contains(&day) {
        return Err(Error::internal_msg(
            "signing time outside the years 1970-9999",
        ));
    }
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Ok((y, m, d))
}
