//! The byte layout of the zip records we write (PKWARE APPNOTE 6.3.10, §4.3–4.5).
//!
//! Every entry is STORED with its CRC-32 and sizes in the local header (no data
//! descriptor). A size or offset that does not fit 32 bits is written as `0xFFFFFFFF` with
//! the real value in a ZIP64 extra field; an entry count that does not fit 16 bits moves to
//! the ZIP64 end records. Nothing is ZIP64 unless it has to be (or a test forces it).

use super::dos_time::DosTime;

/// Values at or above this do not fit a 32-bit field (`0xFFFFFFFF` means "see ZIP64").
pub const LIMIT_32: u64 = 0xFFFF_FFFF;
/// Entry counts at or above this do not fit a 16-bit field.
pub const LIMIT_16: u64 = 0xFFFF;

const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const ZIP64_END_SIGNATURE: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const END_SIGNATURE: u32 = 0x0605_4b50;

/// Fixed part of a local file header.
pub const LOCAL_FIXED: u64 = 30;
/// Fixed part of a central directory header.
pub const CENTRAL_FIXED: u64 = 46;
/// ZIP64 end of central directory record.
pub const ZIP64_END_LEN: u64 = 56;
/// ZIP64 end of central directory locator.
pub const ZIP64_LOCATOR_LEN: u64 = 20;
/// End of central directory record (no comment).
pub const END_LEN: u64 = 22;

/// "Version needed to extract": 2.0 for plain stored entries, 4.5 when ZIP64 is used.
const VERSION_PLAIN: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// "Version made by" high byte: Unix, so readers apply the permissions below.
const MADE_BY_UNIX: u16 = 3 << 8;
/// Regular file, `rw-r--r--`, in the high 16 bits of the external attributes.
const UNIX_FILE_MODE: u32 = 0o100_644 << 16;
/// General purpose flag bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
/// Compression method 0: stored.
const METHOD_STORED: u16 = 0;
const ZIP64_EXTRA_ID: u16 = 0x0001;

/// What one header needs to know about its entry.
#[derive(Debug, Clone, Copy)]
pub struct HeaderFields<'a> {
    /// The name, UTF-8.
    pub name: &'a str,
    /// Size in bytes (stored: compressed = uncompressed).
    pub size: u64,
    /// CRC-32 of the data.
    pub crc32: u32,
    /// Modification time.
    pub modified: DosTime,
}

/// Whether the local header of an entry of `size` carries a ZIP64 extra field.
pub fn local_needs_zip64(size: u64, forced: bool) -> bool {
    forced || size >= LIMIT_32
}

/// Length of an entry's local header.
pub fn local_header_len(name_len: usize, size: u64, forced: bool) -> u64 {
    LOCAL_FIXED
        + name_len as u64
        + if local_needs_zip64(size, forced) {
            20
        } else {
            0
        }
}

/// Which values of a central header go to its ZIP64 extra field: (size, offset).
fn central_zip64_fields(size: u64, offset: u64, forced: bool) -> (bool, bool) {
    (forced || size >= LIMIT_32, forced || offset >= LIMIT_32)
}

/// Length of an entry's central directory header.
pub fn central_header_len(name_len: usize, size: u64, offset: u64, forced: bool) -> u64 {
    let (big_size, big_offset) = central_zip64_fields(size, offset, forced);
    let values = 2 * u64::from(big_size) + u64::from(big_offset);
    let extra = if values > 0 { 4 + 8 * values } else { 0 };
    CENTRAL_FIXED + name_len as u64 + extra
}

fn u16_of(value: usize) -> u16 {
    // Names are sanitised to a few hundred bytes and extras are at most 28 bytes.
    u16::try_from(value).unwrap_or(u16::MAX)
}

fn field32(value: u64) -> u32 {
    u32::try_from(value)
        .ok()
        .filter(|v| u64::from(*v) < LIMIT_32)
        .unwrap_or(u32::MAX)
}

/// The local file header of an entry.
pub fn local_header(entry: &HeaderFields<'_>, forced: bool) -> Vec<u8> {
    let zip64 = local_needs_zip64(entry.size, forced);
    let mut out =
        Vec::with_capacity(local_header_len(entry.name.len(), entry.size, forced) as usize);
    out.extend_from_slice(&LOCAL_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&(if zip64 { VERSION_ZIP64 } else { VERSION_PLAIN }).to_le_bytes());
    out.extend_from_slice(&FLAG_UTF8.to_le_bytes());
    out.extend_from_slice(&METHOD_STORED.to_le_bytes());
    out.extend_from_slice(&entry.modified.time.to_le_bytes());
    out.extend_from_slice(&entry.modified.date.to_le_bytes());
    out.extend_from_slice(&entry.crc32.to_le_bytes());
    let size32 = if zip64 { u32::MAX } else { field32(entry.size) };
    out.extend_from_slice(&size32.to_le_bytes()); // compressed
    out.extend_from_slice(&size32.to_le_bytes()); // uncompressed
    out.extend_from_slice(&u16_of(entry.name.len()).to_le_bytes());
    out.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
    out.extend_from_slice(entry.name.as_bytes());
    if zip64 {
        // In a local header the ZIP64 extra holds both sizes (APPNOTE 4.5.3).
        out.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(&entry.size.to_le_bytes());
        out.extend_from_slice(&entry.size.to_le_bytes());
    }
    out
}

/// The central directory header of an entry whose local header is at `offset`.
pub fn central_header(entry: &HeaderFields<'_>, offset: u64, forced: bool) -> Vec<u8> {
    let (big_size, big_offset) = central_zip64_fields(entry.size, offset, forced);
    let zip64 = big_size || big_offset;
    let version = if zip64 { VERSION_ZIP64 } else { VERSION_PLAIN };
    let len = central_header_len(entry.name.len(), entry.size, offset, forced);
    let extra_len = len - CENTRAL_FIXED - entry.name.len() as u64;
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&CENTRAL_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&(MADE_BY_UNIX | version).to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&FLAG_UTF8.to_le_bytes());
    out.extend_from_slice(&METHOD_STORED.to_le_bytes());
    out.extend_from_slice(&entry.modified.time.to_le_bytes());
    out.extend_from_slice(&entry.modified.date.to_le_bytes());
    out.extend_from_slice(&entry.crc32.to_le_bytes());
    let size32 = if big_size {
        u32::MAX
    } else {
        field32(entry.size)
    };
    out.extend_from_slice(&size32.to_le_bytes());
    out.extend_from_slice(&size32.to_le_bytes());
    out.extend_from_slice(&u16_of(entry.name.len()).to_le_bytes());
    out.extend_from_slice(&u16_of(extra_len as usize).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out.extend_from_slice(&0u16.to_le_bytes()); // disk number start
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&UNIX_FILE_MODE.to_le_bytes());
    let offset32 = if big_offset {
        u32::MAX
    } else {
        field32(offset)
    };
    out.extend_from_slice(&offset32.to_le_bytes());
    out.extend_from_slice(entry.name.as_bytes());
    if zip64 {
        // Only the fields marked 0xFFFFFFFF above, in this order (APPNOTE 4.5.3).
        out.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
        out.extend_from_slice(&u16_of(extra_len as usize - 4).to_le_bytes());
        if big_size {
            out.extend_from_slice(&entry.size.to_le_bytes());
            out.extend_from_slice(&entry.size.to_le_bytes());
        }
        if big_offset {
            out.extend_from_slice(&offset.to_le_bytes());
        }
    }
    out
}

/// Where the central directory is and how many entries it lists.
#[derive(Debug, Clone, Copy)]
pub struct Directory {
    /// Entries listed.
    pub entries: u64,
    /// Offset of the first central header.
    pub offset: u64,
    /// Bytes of central headers.
    pub size: u64,
}

/// Whether the end of the archive needs the ZIP64 records.
pub fn end_needs_zip64(directory: &Directory, forced: bool) -> bool {
    forced
        || directory.entries >= LIMIT_16
        || directory.offset >= LIMIT_32
        || directory.size >= LIMIT_32
}

/// Length of everything after the central directory.
pub fn tail_len(directory: &Directory, forced: bool) -> u64 {
    END_LEN
        + if end_needs_zip64(directory, forced) {
            ZIP64_END_LEN + ZIP64_LOCATOR_LEN
        } else {
            0
        }
}

/// The ZIP64 end records (when needed) and the end of central directory record.
pub fn tail(directory: &Directory, forced: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(tail_len(directory, forced) as usize);
    if end_needs_zip64(directory, forced) {
        let zip64_end_offset = directory.offset + directory.size;
        out.extend_from_slice(&ZIP64_END_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&(ZIP64_END_LEN - 12).to_le_bytes());
        out.extend_from_slice(&(MADE_BY_UNIX | VERSION_ZIP64).to_le_bytes());
        out.extend_from_slice(&VERSION_ZIP64.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // this disk
        out.extend_from_slice(&0u32.to_le_bytes()); // disk with the directory
        out.extend_from_slice(&directory.entries.to_le_bytes());
        out.extend_from_slice(&directory.entries.to_le_bytes());
        out.extend_from_slice(&directory.size.to_le_bytes());
        out.extend_from_slice(&directory.offset.to_le_bytes());
        out.extend_from_slice(&ZIP64_LOCATOR_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // disk with the ZIP64 end record
        out.extend_from_slice(&zip64_end_offset.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // total disks
    }
    let entries16 = u16::try_from(directory.entries)
        .ok()
        .filter(|n| u64::from(*n) < LIMIT_16)
        .unwrap_or(u16::MAX);
    out.extend_from_slice(&END_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // disk with the directory
    out.extend_from_slice(&entries16.to_le_bytes());
    out.extend_from_slice(&entries16.to_le_bytes());
    out.extend_from_slice(&field32(directory.size).to_le_bytes());
    out.extend_from_slice(&field32(directory.offset).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}
