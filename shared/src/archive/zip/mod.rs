//! The zip format as PicPass writes it: pure, no I/O.
//!
//! - [`names`]: a photo's file name made safe and unique inside the archive.
//! - [`dos_time`]: the timestamps zip headers hold.
//! - [`records`]: the header bytes (STORED entries, CRC and sizes up front, ZIP64 only
//!   when needed, UTF-8 names).
//! - [`layout`]: the whole archive as segments, so any byte range can be produced alone.
//! - [`parts`]: the multipart plan that cuts it into S3 parts.

pub mod dos_time;
pub mod layout;
pub mod names;
pub mod parts;
pub mod records;

pub use dos_time::DosTime;
pub use layout::{Segment, ZipEntry, ZipLayout};
pub use names::{UniqueNames, sanitise};
pub use parts::PartPlan;
