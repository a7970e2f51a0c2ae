//! Markup hidden in an image's metadata: an HTML or script document in a JPEG comment, an
//! APPn segment, a PNG text chunk or a WebP metadata chunk turns the file into a polyglot
//! (a page, or a script that `script-src 'self'` would run if it were ever served as one
//! from the app's origin). Cameras and photo editors never write markup there, so such a
//! file is refused (`markup_in_metadata`) instead of being processed and kept for download.
//!
//! The rule, checked on every metadata payload (case-insensitive):
//! - always refused: `<script`, `<html`, `<svg`, `<iframe`, `<body`, `<!doctype`,
//!   `<?xml-stylesheet` and `javascript:`. A tag name counts only when followed by
//!   whitespace, `>` or `/`, as a parser would need (this also keeps the chance of a random
//!   match in binary maker notes or an embedded thumbnail negligible);
//! - `<?xml` is refused too, except in an XMP packet (a payload carrying `<x:xmpmeta` or
//!   `<?xpacket`): XMP *is* XML, and Lightroom, Photoshop and phones write it, but real XMP
//!   escapes any `<` in its text, so none of the names above appears in it literally.
//!
//! Image data is not scanned (compressed pixels match short strings by chance), nor is
//! what follows a JPEG's end-of-image marker except its very start (phones append the
//! video of a motion photo there; a document appended there would start with `<`).

use super::codes;
use crate::error::{Error, Result};

/// Tag openings that make a document, each refused when followed by a tag delimiter.
const TAGS: [&[u8]; 6] = [
    b"<script",
    b"<html",
    b"<svg",
    b"<iframe",
    b"<body",
    b"<!doctype",
];
/// Openings refused wherever they stand.
const ALWAYS: [&[u8]; 2] = [b"<?xml-stylesheet", b"javascript:"];
/// The XML declaration: refused outside XMP.
const XML_DECLARATION: &[u8] = b"<?xml";
/// Either marks a payload as an XMP packet.
const XMP_MARKERS: [&[u8]; 2] = [b"<x:xmpmeta", b"<?xpacket"];

/// Refuses `payload` (the metadata found at `place`, e.g. "a JPEG comment") if it carries markup.
pub fn check(payload: &[u8], place: &str) -> Result<()> {
    match find(payload) {
        Some(found) => Err(Error::invalid(
            codes::MARKUP_IN_METADATA,
            format!(
                "the image carries markup ({found}) in {place}; photos do not, so the file is \
                 refused — re-export it from a photo editor"
            ),
        )),
        None => Ok(()),
    }
}

/// Refuses data after a JPEG's end-of-image marker that starts like a document.
pub fn check_trailer(trailer: &[u8]) -> Result<()> {
    let first = trailer
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0);
    if first == Some(&b'<') {
        return Err(Error::invalid(
            codes::MARKUP_IN_METADATA,
            "the JPEG is followed by a markup document; photos are not, so the file is refused",
        ));
    }
    Ok(())
}

/// The first markup opening found, for the refusal message.
fn find(payload: &[u8]) -> Option<&'static str> {
    // Only looked for when an XML declaration turns up (payloads can be megabytes).
    let is_xmp = || XMP_MARKERS.iter().any(|m| contains(payload, m));
    for (at, &b) in payload.iter().enumerate() {
        if b != b'<' && b != b'j' && b != b'J' {
            continue;
        }
        let rest = &payload[at..];
        for tag in TAGS {
            if starts_with_ignore_case(rest, tag)
                && rest
                    .get(tag.len())
                    .is_some_and(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
            {
                return Some(display(tag));
            }
        }
        for opening in ALWAYS {
            if starts_with_ignore_case(rest, opening) {
                return Some(display(opening));
            }
        }
        if starts_with_ignore_case(rest, XML_DECLARATION) && !is_xmp() {
            return Some("<?xml");
        }
    }
    None
}

fn display(opening: &'static [u8]) -> &'static str {
    std::str::from_utf8(opening).unwrap_or("markup")
}

fn starts_with_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && haystack[..needle.len()].eq_ignore_ascii_case(needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(payload: &[u8]) -> bool {
        check(payload, "a test").is_err()
    }

    #[test]
    fn documents_and_scripts_are_refused_in_any_case() {
        for payload in [
            &b"<html><body>hi</body></html>"[..],
            b"xx<SCRIPT>alert(1)</SCRIPT>",
            b"<svg/onload=alert(1)>",
            b"<?xml version=\"1.0\"?><note/>",
            b"see JavaScript:alert(1)",
            b"<!DOCTYPE html>",
            b"<iframe src=x>",
        ] {
            assert!(refused(payload), "{}", String::from_utf8_lossy(payload));
        }
        let err = check(b"<script>", "a JPEG comment").expect_err("refused");
        assert_eq!(err.code(), codes::MARKUP_IN_METADATA);
        assert!(err.to_string().contains("a JPEG comment"));
    }

    #[test]
    fn real_xmp_passes_but_not_with_a_script_inside() {
        let xmp = br#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description dc:title="&lt;html&gt; course" xmp:CreatorTool="Adobe Lightroom"/></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"#;
        assert!(!refused(xmp));
        let mut with_decl = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_vec();
        with_decl.extend_from_slice(xmp);
        assert!(
            !refused(&with_decl),
            "XMP may start with an XML declaration"
        );
        let mut hostile = xmp.to_vec();
        hostile.extend_from_slice(b"<script>alert(1)</script>");
        assert!(refused(&hostile));
        let mut styled = b"<?xml-stylesheet href=\"x.xsl\"?>".to_vec();
        styled.extend_from_slice(xmp);
        assert!(refused(&styled));
    }

    #[test]
    fn ordinary_metadata_and_near_misses_pass() {
        for payload in [
            &b"Canon EOS R5\0(c) 2026 Anna <anna@example.com>"[..],
            b"<svgx>",
            b"<htm",
            b"javascript",
            b"\xFF\xD8\xFF\xDB<s<sv<svg",
        ] {
            assert!(!refused(payload), "{}", String::from_utf8_lossy(payload));
        }
    }

    #[test]
    fn a_motion_photo_trailer_passes_but_an_appended_document_does_not() {
        assert!(check_trailer(b"\0\0\0\x1cftypmp42isommp42").is_ok());
        assert!(check_trailer(b"").is_ok());
        assert!(check_trailer(b"\n<html><script>x</script>").is_err());
        assert!(check_trailer(b"  <p>hello</p>").is_err());
    }
}
