use super::*;
use crate::archive::zip::records::LIMIT_32;

/// Deterministic content of entry `entry` at `pos`.
fn byte_at(entry: usize, pos: u64) -> u8 {
    ((entry as u64 * 31 + pos) % 251) as u8
}

fn data_of(entry: usize, size: u64) -> Vec<u8> {
    (0..size).map(|pos| byte_at(entry, pos)).collect()
}

fn entry(name: &str, index: usize, size: u64) -> ZipEntry {
    ZipEntry {
        name: name.to_owned(),
        size,
        crc32: crc32fast::hash(&data_of(index, size)),
        modified: DosTime::earliest(),
    }
}

/// Bytes `range` of the archive, as the job would assemble them.
fn assemble(layout: &ZipLayout, range: Range<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    for segment in layout.segments(range) {
        match segment {
            Segment::Literal(bytes) => out.extend_from_slice(&bytes),
            Segment::Data { entry, offset, len } => {
                out.extend((offset..offset + len).map(|pos| byte_at(entry, pos)));
            }
        }
    }
    out
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

fn sample() -> ZipLayout {
    ZipLayout::new(vec![
        entry("a.jpg", 0, 1000),
        entry("é.jpg", 1, 0),
        entry("c.jpg", 2, 4097),
    ])
    .expect("layout")
}

#[test]
fn any_split_into_ranges_concatenates_to_the_same_archive() {
    let layout = sample();
    let whole = assemble(&layout, 0..layout.total_bytes());
    assert_eq!(whole.len() as u64, layout.total_bytes());
    for step in [1u64, 7, 30, 100, 1031, 4096] {
        let mut joined = Vec::new();
        let mut start = 0;
        while start < layout.total_bytes() {
            joined.extend(assemble(&layout, start..start + step));
            start += step;
        }
        assert_eq!(joined, whole, "split every {step} bytes");
    }
    assert!(assemble(&layout, layout.total_bytes()..u64::MAX).is_empty());
}

#[test]
fn a_small_archive_is_plain_zip_with_crc_and_sizes_in_its_local_headers() {
    let layout = sample();
    let bytes = assemble(&layout, 0..layout.total_bytes());
    assert_eq!(u32_at(&bytes, 0), 0x0403_4b50);
    assert_eq!(u16_at(&bytes, 4), 20, "version needed 2.0");
    assert_eq!(u16_at(&bytes, 6), 0x0800, "UTF-8 names, no data descriptor");
    assert_eq!(u16_at(&bytes, 8), 0, "stored");
    assert_eq!(u32_at(&bytes, 14), layout.entries()[0].crc32);
    assert_eq!((u32_at(&bytes, 18), u32_at(&bytes, 22)), (1000, 1000));
    assert_eq!(u16_at(&bytes, 28), 0, "no extra field");
    assert_eq!(&bytes[30..35], b"a.jpg");
    assert_eq!(bytes[35..1035], data_of(0, 1000)[..]);
    let zip64_end = 0x0606_4b50u32.to_le_bytes();
    assert!(
        !bytes.windows(4).any(|w| w == zip64_end),
        "no ZIP64 records"
    );
    let end = bytes.len() - 22;
    assert_eq!(u32_at(&bytes, end), 0x0605_4b50);
    assert_eq!((u16_at(&bytes, end + 8), u16_at(&bytes, end + 10)), (3, 3));
}

#[test]
fn the_same_entries_give_the_same_bytes() {
    let a = sample();
    let b = sample();
    assert_eq!(
        assemble(&a, 0..a.total_bytes()),
        assemble(&b, 0..b.total_bytes())
    );
}

#[test]
fn an_entry_of_4_gib_gets_zip64_sizes_and_later_offsets_and_the_end_records_follow() {
    let big = ZipEntry {
        name: "big.bin".into(),
        size: LIMIT_32,
        crc32: 7,
        modified: DosTime::earliest(),
    };
    let layout = ZipLayout::new(vec![big, entry("small.jpg", 1, 10)]).expect("layout");
    let head = assemble(&layout, 0..30 + 7 + 20);
    assert_eq!(u16_at(&head, 4), 45, "version needed 4.5");
    assert_eq!((u32_at(&head, 18), u32_at(&head, 22)), (u32::MAX, u32::MAX));
    assert_eq!(u16_at(&head, 28), 20, "ZIP64 extra with both sizes");
    assert_eq!((u16_at(&head, 37), u16_at(&head, 39)), (1, 16));
    assert_eq!((u64_at(&head, 41), u64_at(&head, 49)), (LIMIT_32, LIMIT_32));

    // The small entry starts past 4 GiB: its local header stays plain, its central header
    // carries only the offset in ZIP64 form.
    let small_local = 30 + 7 + 20 + LIMIT_32;
    let local = assemble(&layout, small_local..small_local + 30);
    assert_eq!((u16_at(&local, 4), u16_at(&local, 28)), (20, 0));
    let directory = small_local + 30 + 9 + 10;
    let central_big_len = 46 + 7 + 4 + 16;
    let central = assemble(
        &layout,
        directory + central_big_len..directory + central_big_len + 46 + 9 + 12,
    );
    assert_eq!(u32_at(&central, 0), 0x0201_4b50);
    assert_eq!((u32_at(&central, 20), u32_at(&central, 24)), (10, 10));
    assert_eq!(u32_at(&central, 42), u32::MAX, "offset in the extra field");
    assert_eq!((u16_at(&central, 55), u16_at(&central, 57)), (1, 8));
    assert_eq!(u64_at(&central, 59), small_local);

    let tail = assemble(&layout, layout.total_bytes() - 98..layout.total_bytes());
    assert_eq!(u32_at(&tail, 0), 0x0606_4b50, "ZIP64 end record");
    assert_eq!(u64_at(&tail, 24), 2, "entries");
    assert_eq!(u64_at(&tail, 48), directory, "directory offset");
    assert_eq!(u32_at(&tail, 56), 0x0706_4b50, "ZIP64 locator");
    assert_eq!(u64_at(&tail, 64), layout.total_bytes() - 98);
    assert_eq!(u32_at(&tail, 76), 0x0605_4b50);
    assert_eq!(u16_at(&tail, 86), 2, "the count still fits 16 bits");
    assert_eq!(
        u32_at(&tail, 92),
        u32::MAX,
        "the offset does not fit 32 bits"
    );
}

#[test]
fn an_entry_just_under_4_gib_keeps_a_plain_local_header() {
    let layout = ZipLayout::new(vec![ZipEntry {
        name: "x".into(),
        size: LIMIT_32 - 1,
        crc32: 0,
        modified: DosTime::earliest(),
    }])
    .expect("layout");
    let head = assemble(&layout, 0..30);
    assert_eq!((u16_at(&head, 4), u16_at(&head, 28)), (20, 0));
    assert_eq!(u32_at(&head, 18), u32::MAX - 1);
}

fn empty_entries(count: usize) -> Vec<ZipEntry> {
    (0..count)
        .map(|i| ZipEntry {
            name: format!("f{i}"),
            size: 0,
            crc32: 0,
            modified: DosTime::earliest(),
        })
        .collect()
}

fn has_zip64_end(layout: &ZipLayout) -> bool {
    let total = layout.total_bytes();
    let tail = assemble(layout, total.saturating_sub(98)..total);
    tail.len() == 98 && u32_at(&tail, 0) == 0x0606_4b50
}

#[test]
fn zip64_end_records_start_at_65535_entries() {
    let plain = ZipLayout::new(empty_entries(65_534)).expect("layout");
    assert!(!has_zip64_end(&plain));
    let total = plain.total_bytes();
    let end = assemble(&plain, total - 22..total);
    assert_eq!(u16_at(&end, 10), 65_534);

    let zip64 = ZipLayout::new(empty_entries(65_535)).expect("layout");
    assert!(has_zip64_end(&zip64));
    let total = zip64.total_bytes();
    let end = assemble(&zip64, total - 22..total);
    assert_eq!(
        u16_at(&end, 10),
        u16::MAX,
        "count moved to the ZIP64 record"
    );
}

#[test]
fn progress_counts_entries_whose_data_is_written() {
    let layout = sample();
    assert_eq!(layout.entries_complete_before(0), 0);
    assert_eq!(layout.entries_complete_before(30 + 5 + 999), 0);
    assert_eq!(layout.entries_complete_before(30 + 5 + 1000), 1);
    assert_eq!(layout.entries_complete_before(layout.total_bytes()), 3);
}

#[test]
fn forced_zip64_puts_every_header_in_zip64_form() {
    let layout = ZipLayout::with_zip64_forced(vec![entry("a", 0, 3)]).expect("layout");
    let bytes = assemble(&layout, 0..layout.total_bytes());
    assert_eq!((u16_at(&bytes, 4), u16_at(&bytes, 28)), (45, 20));
    assert!(has_zip64_end(&layout));
}
