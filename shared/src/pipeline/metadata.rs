//! EXIF in and out: what is read (orientation, capture time, camera, artist, copyright) and
//! the minimal block written back — never GPS, serial numbers, maker notes or anything else.

use exif::{Field, In, Tag, Value};

use super::orient::Orientation;
use crate::domain::Timestamp;

/// What the pipeline takes from the source EXIF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceExif {
    /// The orientation tag (1 when absent).
    pub orientation: Orientation,
    /// `DateTimeOriginal` (with `OffsetTimeOriginal` when present; UTC otherwise).
    pub taken_at: Option<Timestamp>,
    /// "Make Model", without the make repeated when the model already starts with it.
    pub camera: Option<String>,
    /// `Artist`, carried into the outputs.
    pub artist: Option<String>,
    /// `Copyright`, carried into the outputs.
    pub copyright: Option<String>,
}

/// Reads the fields we use from a raw TIFF-structured EXIF block, each on its own: a
/// sub-directory the strict parser refuses (piexif's Exif IFD, whose values overlap its
/// next-directory link), a truncated block or a field pointing outside it loses only what
/// it holds, never the orientation of IFD0. Every offset and count is bounded by the block
/// (kamadak-exif checks them; its `continue_on_error` keeps what parsed before a fault).
/// A block without a TIFF header reads as empty.
pub fn read(tiff: Option<&[u8]>) -> SourceExif {
    let Some(tiff) = tiff else {
        return SourceExif::default();
    };
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_raw(tiff.to_vec())
    {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => return SourceExif::default(),
    };
    let field = |tag| exif.get_field(tag, In::PRIMARY);
    let text = |tag| field(tag).and_then(ascii);
    let orientation = field(Tag::Orientation)
        .and_then(|f| f.value.get_uint(0))
        .map(Orientation::from_tag)
        .unwrap_or_default();
    let camera = match (text(Tag::Make), text(Tag::Model)) {
        (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => make.or(model),
    };
    SourceExif {
        orientation,
        taken_at: taken_at(field(Tag::DateTimeOriginal), field(Tag::OffsetTimeOriginal)),
        camera,
        artist: text(Tag::Artist),
        copyright: text(Tag::Copyright),
    }
}

/// The first ASCII string of a field, trimmed; `None` when empty or not text.
fn ascii(field: &Field) -> Option<String> {
    let Value::Ascii(parts) = &field.value else {
        return None;
    };
    let raw = parts.first()?;
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!text.is_empty()).then(|| text.chars().take(200).collect())
}

fn taken_at(when: Option<&Field>, offset: Option<&Field>) -> Option<Timestamp> {
    let Value::Ascii(parts) = &when?.value else {
        return None;
    };
    let mut dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    if let Some(Value::Ascii(off)) = offset.map(|f| &f.value)
        && let Some(first) = off.first()
    {
        // A malformed offset leaves the time as UTC rather than dropping it.
        let _ = dt.parse_offset(first);
    }
    let month = time::Month::try_from(dt.month).ok()?;
    let date = time::Date::from_calendar_date(i32::from(dt.year), month, dt.day).ok()?;
    let clock = time::Time::from_hms(dt.hour, dt.minute, dt.second).ok()?;
    let offset_secs = i32::from(dt.offset.unwrap_or(0)) * 60;
    let offset = time::UtcOffset::from_whole_seconds(offset_secs).ok()?;
    let at = time::PrimitiveDateTime::new(date, clock).assume_offset(offset);
    Some(Timestamp::from_epoch_secs(at.unix_timestamp()))
}

/// The EXIF block written into outputs: orientation 1 (the pixels are upright now), plus
/// artist and copyright when the source had them. Returns the raw TIFF structure.
pub fn output_exif(source: &SourceExif) -> Vec<u8> {
    let mut entries: Vec<(u16, u16, Vec<u8>)> = vec![(0x0112, 3, 1u16.to_be_bytes().to_vec())];
    for (tag, value) in [(0x013B, &source.artist), (0x8298, &source.copyright)] {
        if let Some(value) = value {
            let mut bytes = value.as_bytes().to_vec();
            bytes.push(0);
            entries.push((tag, 2, bytes));
        }
    }
    // Big-endian TIFF: header, one IFD, then the out-of-line values.
    let mut out = b"MM\0\x2a\0\0\0\x08".to_vec();
    let ifd_len = 2 + entries.len() * 12 + 4;
    let mut data_at = 8 + ifd_len;
    let mut data = Vec::new();
    out.extend((entries.len() as u16).to_be_bytes());
    for (tag, kind, value) in &entries {
        out.extend(tag.to_be_bytes());
        out.extend(kind.to_be_bytes());
        let count = if *kind == 3 { 1 } else { value.len() as u32 };
        out.extend(count.to_be_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend(inline);
        } else {
            out.extend((data_at as u32).to_be_bytes());
            data.extend(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at = 8 + ifd_len + data.len();
        }
    }
    out.extend(0u32.to_be_bytes());
    out.extend(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_exif_reads_back_with_only_the_kept_fields() {
        let source = SourceExif {
            orientation: Orientation::from_tag(6),
            taken_at: None,
            camera: Some("Canon EOS R5".into()),
            artist: Some("Anna Photo".into()),
            copyright: Some("© 2026 Anna".into()),
        };
        let back = read(Some(&output_exif(&source)));
        assert_eq!(back.orientation, Orientation::NORMAL);
        assert_eq!(back.artist.as_deref(), Some("Anna Photo"));
        assert_eq!(back.copyright.as_deref(), Some("© 2026 Anna"));
        assert_eq!(back.camera, None);
    }

    /// Big-endian TIFF laid out as piexif writes it: IFD0 (Make, Orientation 6, Exif
    /// pointer), then an Exif IFD whose values start where its next-IFD link should be.
    fn piexif_like() -> Vec<u8> {
        let entry = |tag: u16, kind: u16, count: u32, value: u32| {
            let mut e = tag.to_be_bytes().to_vec();
            e.extend(kind.to_be_bytes());
            e.extend(count.to_be_bytes());
            e.extend(value.to_be_bytes());
            e
        };
        let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
        // IFD0 at 8: 3 entries (2 + 36 + 4 bytes), Make's text at 50, Exif IFD at 56.
        t.extend(3u16.to_be_bytes());
        t.extend(entry(0x010F, 2, 6, 50));
        t.extend(entry(0x0112, 3, 1, 6 << 16));
        t.extend(entry(0x8769, 4, 1, 56));
        t.extend(0u32.to_be_bytes());
        t.extend(b"Canon\0");
        // Exif IFD at 56: 1 entry, no next link; its value follows at 70.
        t.extend(1u16.to_be_bytes());
        t.extend(entry(0x9003, 2, 20, 70));
        t.extend(b"2026:06:13 15:04:05\0");
        t
    }

    #[test]
    fn a_sub_ifd_without_its_next_link_loses_nothing() {
        // The strict reader refuses this block outright.
        assert!(exif::Reader::new().read_raw(piexif_like()).is_err());
        let read = read(Some(&piexif_like()));
        assert_eq!(read.orientation.tag(), 6);
        assert_eq!(read.camera.as_deref(), Some("Canon"));
        assert_eq!(
            read.taken_at.map(|t| t.epoch_secs()),
            Some(1_781_363_045),
            "2026-06-13T15:04:05Z"
        );
    }

    #[test]
    fn a_truncated_block_keeps_what_comes_before_the_cut() {
        for cut in [60, 75, 50] {
            let block = &piexif_like()[..cut];
            assert_eq!(read(Some(block)).orientation.tag(), 6, "cut at {cut}");
        }
        let read = read(Some(&piexif_like()[..75]));
        assert_eq!(read.taken_at, None, "the cut-off time is not made up");
    }

    #[test]
    fn garbage_exif_reads_as_empty() {
        assert_eq!(read(Some(b"not a tiff")), SourceExif::default());
        assert_eq!(read(None), SourceExif::default());
    }
}
