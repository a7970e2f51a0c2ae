//! The one error type every port, adapter and handler speaks.
//!
//! Each variant has a meaning a client or a queue can act on; the HTTP status and
//! the retry class are decided here and nowhere else.

use std::borrow::Cow;

/// Boxed source of a transient or internal failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Shorthand used throughout `shared`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, classified by what the caller should do about it.
///
/// `code` is the stable snake_case identifier sent to clients (`{"error": {"code", "message"}}`);
/// `message` is a human sentence that never contains internal details.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request could not be parsed (bad JSON, bad cursor, bad id syntax). HTTP 400.
    #[error("{message}")]
    Malformed {
        code: Cow<'static, str>,
        message: String,
    },
    /// No or invalid credentials. HTTP 401.
    #[error("{message}")]
    Unauthorized {
        code: Cow<'static, str>,
        message: String,
    },
    /// Authenticated but not allowed (e.g. a presigned URL whose signature does not match). HTTP 403.
    #[error("{message}")]
    Forbidden {
        code: Cow<'static, str>,
        message: String,
    },
    /// Does not exist, or is not the caller's. HTTP 404.
    #[error("{message}")]
    NotFound {
        code: Cow<'static, str>,
        message: String,
    },
    /// A conditional write lost a race, or a unique name is taken. HTTP 409.
    #[error("{message}")]
    Conflict {
        code: Cow<'static, str>,
        message: String,
    },
    /// Existed, but has expired or been revoked. HTTP 410.
    #[error("{message}")]
    Expired {
        code: Cow<'static, str>,
        message: String,
    },
    /// Over a size or count limit. HTTP 413.
    #[error("{message}")]
    TooLarge {
        code: Cow<'static, str>,
        message: String,
    },
    /// A media type or image format we do not accept. HTTP 415.
    #[error("{message}")]
    Unsupported {
        code: Cow<'static, str>,
        message: String,
    },
    /// Well-formed but semantically invalid field. HTTP 422.
    #[error("{message}")]
    Invalid {
        code: Cow<'static, str>,
        message: String,
    },
    /// Too many attempts; try again after `retry_after_secs`. HTTP 429.
    #[error("{message}")]
    Throttled {
        retry_after_secs: u64,
        message: String,
    },
    /// A dependency failed in a way that may succeed on retry. HTTP 503; SQS retries it.
    #[error("{message}")]
    Transient {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
    /// Our own storage has no room (a local data directory's disk): may succeed once space
    /// is freed. HTTP 503 with `Retry-After`, code `storage_full`, the message shown as is;
    /// SQS retries it.
    #[error("{message}")]
    StorageFull { message: String },
    /// A bug or misconfiguration on our side. HTTP 500; never caused by client input.
    #[error("{message}")]
    Internal {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// What a queue consumer should do with a message whose handling failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Leave the message on the queue: a later attempt may succeed (ends in the DLQ if not).
    Retry,
    /// Record the failure and drop the message: retrying cannot help.
    Permanent,
}

macro_rules! constructor {
    ($(#[$doc:meta])* $fn:ident => $variant:ident) => {
        $(#[$doc])*
        pub fn $fn(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
            Self::$variant { code: code.into(), message: message.into() }
        }
    };
}

impl Error {
    constructor!(/// 400 with a specific code.
        malformed => Malformed);
    constructor!(/// 401 with a specific code.
        unauthorized => Unauthorized);
    constructor!(/// 403 with a specific code.
        forbidden => Forbidden);
    constructor!(/// 404 with a specific code.
        not_found => NotFound);
    constructor!(/// 409 with a specific code.
        conflict => Conflict);
    constructor!(/// 410 with a specific code.
        expired => Expired);
    constructor!(/// 413 with a specific code.
        too_large => TooLarge);
    constructor!(/// 415 with a specific code.
        unsupported => Unsupported);
    constructor!(/// 422 with a specific code.
        invalid => Invalid);

    /// 503 `storage_full`: no room left in our own storage.
    pub fn storage_full(message: impl Into<String>) -> Self {
        Self::StorageFull {
            message: message.into(),
        }
    }

    /// Whether an I/O error means the disk (or the user's quota) is full.
    pub fn is_disk_full(error: &std::io::Error) -> bool {
        // ENOSPC, EDQUOT
        error.kind() == std::io::ErrorKind::StorageFull
            || matches!(error.raw_os_error(), Some(28 | 122))
    }

    /// A retryable failure of a dependency, keeping its source for logs.
    pub fn transient(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Transient {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A failure that is our fault (bug, misconfiguration), keeping its source for logs.
    pub fn internal(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// An internal failure with no underlying error value.
    pub fn internal_msg(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// The HTTP status this error maps to.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Malformed { .. } => 400,
            Self::Unauthorized { .. } => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::Expired { .. } => 410,
            Self::TooLarge { .. } => 413,
            Self::Unsupported { .. } => 415,
            Self::Invalid { .. } => 422,
            Self::Throttled { .. } => 429,
            Self::Transient { .. } | Self::StorageFull { .. } => 503,
            Self::Internal { .. } => 500,
        }
    }

    /// The stable snake_case code sent to clients.
    pub fn code(&self) -> &str {
        match self {
            Self::Malformed { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Expired { code, .. }
            | Self::TooLarge { code, .. }
            | Self::Unsupported { code, .. }
            | Self::Invalid { code, .. } => code,
            Self::Throttled { .. } => "throttled",
            Self::Transient { .. } => "temporarily_unavailable",
            Self::StorageFull { .. } => "storage_full",
            Self::Internal { .. } => "internal_error",
        }
    }

    /// The sentence safe to show a client: internal details never leave the process.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal { .. } => "Something went wrong on our side.".to_owned(),
            Self::Transient { .. } => {
                "A service we depend on is unavailable; try again shortly.".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The JSON body of an error response: `{"error": {"code", "message"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"error": {"code": self.code(), "message": self.public_message()}})
    }

    /// Whether a queue consumer should retry the message that failed with this error.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Transient { .. }
            | Self::StorageFull { .. }
            | Self::Internal { .. }
            | Self::Throttled { .. } => RetryClass::Retry,
            _ => RetryClass::Permanent,
        }
    }

    /// True for a lost conditional write (callers re-read and try again or give up).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }

    /// True for a missing item.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}
