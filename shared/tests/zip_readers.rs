//! Real zip readers on archives laid out by `shared::archive::zip`: Info-ZIP's `unzip -t`
//! and Python's `zipfile` must open them, find every name and check every CRC — for a plain
//! archive and for one with every ZIP64 record forced (the records an archive over 4 GiB
//! or 65,535 entries has, on an archive small enough for a unit test;
//! `scripts/check-zip64` builds the real thing).

use std::ops::Range;
use std::process::Command;

use shared::archive::zip::{DosTime, Segment, ZipEntry, ZipLayout};
use shared::domain::Timestamp;

fn data(index: usize) -> Vec<u8> {
    (0..(index * 7919) % 20_000)
        .map(|i| ((i * 31 + index) % 251) as u8)
        .collect()
}

fn entries(names: &[&str]) -> Vec<ZipEntry> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| ZipEntry {
            name: (*name).to_owned(),
            size: data(i).len() as u64,
            crc32: crc32fast::hash(&data(i)),
            modified: DosTime::from_timestamp(
                Timestamp::parse_rfc3339("2026-11-23T10:17:44Z").expect("time"),
            ),
        })
        .collect()
}

fn assemble(layout: &ZipLayout, range: Range<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    for segment in layout.segments(range) {
        match segment {
            Segment::Literal(bytes) => out.extend_from_slice(&bytes),
            Segment::Data { entry, offset, len } => {
                let bytes = data(entry);
                out.extend_from_slice(&bytes[offset as usize..(offset + len) as usize]);
            }
        }
    }
    out
}

/// Python's view: `[name, size, crc, (y, m, d, h, mi, s)]` per entry, after `testzip()`.
const PYTHON: &str = r#"
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps([[i.filename, i.file_size, i.CRC, list(i.date_time), i.compress_type] for i in z.infolist()]))
"#;

fn check_with_readers(zip: &[u8], names: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a.zip");
    std::fs::write(&path, zip).expect("write");
    let unzip = Command::new("unzip")
        .arg("-tq")
        .arg(&path)
        .output()
        .expect("unzip");
    assert!(
        unzip.status.success(),
        "unzip -t: {}{}",
        String::from_utf8_lossy(&unzip.stdout),
        String::from_utf8_lossy(&unzip.stderr)
    );
    let python = Command::new("python3")
        .args(["-c", PYTHON])
        .arg(&path)
        .output()
        .expect("python3");
    assert!(
        python.status.success(),
        "zipfile: {}",
        String::from_utf8_lossy(&python.stderr)
    );
    let seen: Vec<(String, u64, u32, [u16; 6], u8)> =
        serde_json::from_slice(&python.stdout).expect("python output");
    assert_eq!(seen.len(), names.len());
    for (i, (name, size, crc, time, method)) in seen.into_iter().enumerate() {
        assert_eq!(name, names[i]);
        assert_eq!(size, data(i).len() as u64);
        assert_eq!(crc, crc32fast::hash(&data(i)));
        assert_eq!(time, [2026, 11, 23, 10, 17, 44], "DOS time of {name}");
        assert_eq!(method, 0, "stored");
    }
}

const NAMES: &[&str] = &["a.jpg", "Ünïcödé 写真.jpg", "empty", "d (2).JPG", "e"];

#[test]
fn readers_open_a_plain_archive() {
    let layout = ZipLayout::new(entries(NAMES)).expect("layout");
    check_with_readers(&assemble(&layout, 0..layout.total_bytes()), NAMES);
}

#[test]
fn readers_open_an_archive_with_every_zip64_record() {
    let layout = ZipLayout::with_zip64_forced(entries(NAMES)).expect("layout");
    let zip = assemble(&layout, 0..layout.total_bytes());
    // The ZIP64 end record and locator are there, and every central header has its extra.
    assert!(zip.windows(4).any(|w| w == 0x0606_4b50u32.to_le_bytes()));
    assert!(zip.windows(4).any(|w| w == 0x0706_4b50u32.to_le_bytes()));
    check_with_readers(&zip, NAMES);
}

#[test]
fn readers_open_an_archive_assembled_from_odd_sized_pieces() {
    let layout = ZipLayout::new(entries(NAMES)).expect("layout");
    let mut zip = Vec::new();
    let mut start = 0;
    while start < layout.total_bytes() {
        zip.extend(assemble(&layout, start..start + 4093));
        start += 4093;
    }
    check_with_readers(&zip, NAMES);
}
