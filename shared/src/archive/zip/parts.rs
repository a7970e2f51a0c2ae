//! How an archive is cut into multipart-upload parts.
//!
//! S3 takes 1 to 10,000 parts of 5 MiB to 5 GiB (the last may be smaller). Parts are built
//! in memory, one uploading while the next is read, so twice their size is the job's
//! memory. They are 8 MiB unless the archive is too big for 10,000 of those, then the
//! smallest whole number of MiB that covers it in 10,000 parts, up to [`MAX_PART_BYTES`].
//! The plan is three numbers, so the job row only needs those and how many parts are
//! written.

use std::ops::Range;

use crate::error::{Error, Result};

const MIB: u64 = 1024 * 1024;
/// Smallest part we cut (S3's minimum is 5 MiB).
pub const MIN_PART_BYTES: u64 = 8 * MIB;
/// Largest part we cut: half the bound on a job's memory (S3 would take 5 GiB).
pub const MAX_PART_BYTES: u64 = 64 * MIB;
/// Most parts S3 accepts in one upload.
pub const MAX_PARTS: u64 = 10_000;
/// Largest archive the plan can cover (625 GiB).
pub const MAX_ARCHIVE_BYTES: u64 = MAX_PART_BYTES * MAX_PARTS;

/// Part size and count for one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// Bytes of every part but the last.
    pub part_bytes: u64,
    /// Number of parts (1 to 10,000).
    pub part_count: u32,
    /// The archive's size.
    pub total_bytes: u64,
}

impl PartPlan {
    /// The plan for an archive of `total_bytes`; `TooLarge` past [`MAX_ARCHIVE_BYTES`].
    pub fn for_size(total_bytes: u64) -> Result<Self> {
        if total_bytes > MAX_ARCHIVE_BYTES {
            return Err(Error::too_large(
                "archive_too_large",
                "the selection is too large for one archive; select fewer photos",
            ));
        }
        let per_part = total_bytes.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part_bytes = per_part.clamp(MIN_PART_BYTES, MAX_PART_BYTES);
        let part_count = total_bytes.div_ceil(part_bytes).max(1);
        Ok(Self {
            part_bytes,
            part_count: u32::try_from(part_count)
                .map_err(|e| Error::internal("part count overflows", e))?,
            total_bytes,
        })
    }

    /// The archive bytes of part `part_number` (1-based); empty past the last part.
    pub fn range(&self, part_number: u32) -> Range<u64> {
        let index = u64::from(part_number.saturating_sub(1));
        let start = index.saturating_mul(self.part_bytes).min(self.total_bytes);
        let end = start.saturating_add(self.part_bytes).min(self.total_bytes);
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_covers(plan: &PartPlan) {
        assert!(
            (1..=MAX_PARTS).contains(&u64::from(plan.part_count)),
            "{plan:?}"
        );
        assert!((MIN_PART_BYTES..=MAX_PART_BYTES).contains(&plan.part_bytes));
        let mut next = 0;
        for k in 1..=plan.part_count {
            let range = plan.range(k);
            assert_eq!(range.start, next, "parts are contiguous");
            assert!(!range.is_empty(), "part {k} of {plan:?} is empty");
            if k < plan.part_count {
                assert_eq!(range.end - range.start, plan.part_bytes);
            }
            next = range.end;
        }
        assert_eq!(next, plan.total_bytes, "the parts cover the archive");
        assert!(plan.range(plan.part_count + 1).is_empty());
    }

    #[test]
    fn small_archives_are_one_part() {
        for total in [22, 1, MIN_PART_BYTES - 1, MIN_PART_BYTES] {
            let plan = PartPlan::for_size(total).expect("plan");
            assert_eq!(plan.part_count, 1);
            assert_covers(&plan);
        }
    }

    #[test]
    fn parts_are_8_mib_until_10000_of_them_are_not_enough() {
        let plan = PartPlan::for_size(5_000_000_000).expect("plan");
        assert_eq!((plan.part_bytes, plan.part_count), (MIN_PART_BYTES, 597));
        assert_covers(&plan);
        let at_limit = PartPlan::for_size(MIN_PART_BYTES * MAX_PARTS).expect("plan");
        assert_eq!(at_limit.part_count, 10_000);
        let past = PartPlan::for_size(MIN_PART_BYTES * MAX_PARTS + 1).expect("plan");
        assert_eq!(past.part_bytes, MIN_PART_BYTES + MIB);
        assert_covers(&past);
    }

    #[test]
    fn every_size_up_to_the_maximum_is_covered_by_at_most_10000_parts() {
        let mut total = 1u64;
        while total <= MAX_ARCHIVE_BYTES {
            for size in [total, total + 1, total.saturating_mul(3) / 2] {
                if size <= MAX_ARCHIVE_BYTES {
                    assert_covers(&PartPlan::for_size(size).expect("plan"));
                }
            }
            total *= 2;
        }
        assert_covers(&PartPlan::for_size(MAX_ARCHIVE_BYTES).expect("plan"));
        let refused = PartPlan::for_size(MAX_ARCHIVE_BYTES + 1).expect_err("too large");
        assert_eq!(refused.code(), "archive_too_large");
    }
}
