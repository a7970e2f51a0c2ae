//! The `Range` header of a GET, read as S3 reads it: one `bytes=` range (`first-last`,
//! `first-`, or `-suffix`). Anything else (several ranges, other units, bad syntax) is
//! ignored and the whole object sent, as RFC 9110 allows.

use std::ops::Range;

/// What a GET asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// The whole object (no usable `Range`).
    Whole,
    /// These bytes: a 206 response.
    Part(Range<u64>),
    /// A range starting past the end (or an empty suffix): 416 `InvalidRange`.
    Unsatisfiable,
}

/// Reads `header` (the `Range` value, if any) against an object of `len` bytes.
pub fn requested(header: Option<&str>, len: u64) -> Requested {
    let Some((first, last)) = header
        .and_then(|h| h.trim().strip_prefix("bytes="))
        .and_then(|spec| spec.split_once('-'))
    else {
        return Requested::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    match (
        first.is_empty(),
        number(first),
        last.is_empty(),
        number(last),
    ) {
        // `-suffix`: the last `suffix` bytes (all of them if the object is shorter).
        (true, _, false, Some(suffix)) if suffix == 0 || len == 0 => Requested::Unsatisfiable,
        (true, _, false, Some(suffix)) => Requested::Part(len - suffix.min(len)..len),
        // `first-`: from `first` to the end.
        (false, Some(first), true, _) => from(first, len, len),
        // `first-last`, both included; `last` may lie past the end.
        (false, Some(first), false, Some(last)) if last >= first => {
            from(first, last.saturating_add(1), len)
        }
        _ => Requested::Whole,
    }
}

/// Bytes `first .. end`, cut at `len`; nothing to send when `first` is past the end.
fn from(first: u64, end: u64, len: u64) -> Requested {
    if first >= len {
        Requested::Unsatisfiable
    } else {
        Requested::Part(first..end.min(len))
    }
}

/// A decimal number, digits only (no sign, no spaces inside).
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_ranges_are_read_like_s3() {
        let len = 100;
        let cases = [
            (None, Requested::Whole),
            (Some("bytes=0-9"), Requested::Part(0..10)),
            (Some("bytes=90-"), Requested::Part(90..100)),
            (Some("bytes=90-1000"), Requested::Part(90..100)),
            (Some("bytes=-10"), Requested::Part(90..100)),
            (Some("bytes=-1000"), Requested::Part(0..100)),
            (Some("bytes=100-"), Requested::Unsatisfiable),
            (Some("bytes=-0"), Requested::Unsatisfiable),
            (Some("bytes=5-3"), Requested::Whole),
            (Some("bytes=0-1,5-6"), Requested::Whole),
            (Some("items=0-9"), Requested::Whole),
            (Some("bytes=a-b"), Requested::Whole),
            (Some("bytes=-"), Requested::Whole),
            (Some("bytes=+1-2"), Requested::Whole),
        ];
        for (header, expected) in cases {
            assert_eq!(requested(header, len), expected, "{header:?}");
        }
        assert_eq!(requested(Some("bytes=-5"), 0), Requested::Unsatisfiable);
        assert_eq!(requested(Some("bytes=0-"), 0), Requested::Unsatisfiable);
    }
}
