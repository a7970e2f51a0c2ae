//! EXIF orientation: the 8 ways a camera stores a photo, and how to make it upright.
//!
//! Variants are resized in the stored orientation and turned upright afterwards, so the
//! rotation touches output-sized pixels, not the decode. Custom crops are given in upright
//! coordinates and mapped back to the stored image with [`Orientation::upright_rect_to_stored`].

use super::resize::{Rect, RgbImage};

/// An EXIF orientation value (1–8); anything else reads as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Orientation(u8);

impl Orientation {
    /// Upright as stored.
    pub const NORMAL: Self = Self(1);

    /// From the EXIF tag value; out-of-range values mean "as stored".
    pub fn from_tag(tag: u32) -> Self {
        match u8::try_from(tag) {
            Ok(v @ 1..=8) => Self(v),
            _ => Self::NORMAL,
        }
    }

    /// The tag value (1–8).
    pub fn tag(self) -> u8 {
        if self.0 == 0 { 1 } else { self.0 }
    }

    /// True for 5–8: width and height swap when made upright.
    pub fn transposes(self) -> bool {
        self.tag() >= 5
    }

    /// The upright size of a stored `width × height`.
    pub fn upright_size(self, width: u32, height: u32) -> (u32, u32) {
        if self.transposes() {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// The stored size of an upright `width × height` (the mapping is its own inverse in size).
    pub fn stored_size(self, width: u32, height: u32) -> (u32, u32) {
        self.upright_size(width, height)
    }

    /// Maps a continuous point of the upright image to the stored image (`w × h` stored).
    fn upright_point_to_stored(self, x: f64, y: f64, w: f64, h: f64) -> (f64, f64) {
        match self.tag() {
            2 => (w - x, y),
            3 => (w - x, h - y),
            4 => (x, h - y),
            5 => (y, x),
            6 => (y, h - x),
            7 => (w - y, h - x),
            8 => (w - y, x),
            _ => (x, y),
        }
    }

    /// Maps a rectangle given on the upright image onto the stored image (`w × h` stored).
    pub fn upright_rect_to_stored(self, rect: Rect, w: f64, h: f64) -> Rect {
        let (x0, y0) = self.upright_point_to_stored(rect.x, rect.y, w, h);
        let (x1, y1) =
            self.upright_point_to_stored(rect.x + rect.width, rect.y + rect.height, w, h);
        Rect {
            x: x0.min(x1),
            y: y0.min(y1),
            width: (x1 - x0).abs(),
            height: (y1 - y0).abs(),
        }
    }

    /// Turns a stored image upright.
    pub fn apply(self, stored: RgbImage) -> RgbImage {
        if self.tag() == 1 {
            return stored;
        }
        let (sw, sh) = (stored.width as usize, stored.height as usize);
        let (uw, uh) = self.upright_size(stored.width, stored.height);
        let (uw_us, uh_us) = (uw as usize, uh as usize);
        let mut out = vec![0u8; uw_us * uh_us * 3];
        let tag = self.tag();
        for y in 0..uh_us {
            let row = &mut out[y * uw_us * 3..(y + 1) * uw_us * 3];
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                let (sx, sy) = match tag {
                    2 => (sw - 1 - x, y),
                    3 => (sw - 1 - x, sh - 1 - y),
                    4 => (x, sh - 1 - y),
                    5 => (y, x),
                    6 => (y, sh - 1 - x),
                    7 => (sw - 1 - y, sh - 1 - x),
                    _ => (sw - 1 - y, x), // 8
                };
                let at = (sy * sw + sx) * 3;
                px.copy_from_slice(&stored.data[at..at + 3]);
            }
        }
        RgbImage {
            width: uw,
            height: uh,
            data: out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3 × 2 image whose pixels are numbered 0..6 (stored in the red channel).
    fn numbered(w: u32, h: u32) -> RgbImage {
        RgbImage {
            width: w,
            height: h,
            data: (0..w * h).flat_map(|i| [i as u8, 0, 0]).collect(),
        }
    }

    fn reds(img: &RgbImage) -> Vec<u8> {
        img.data.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn every_orientation_maps_pixels_like_the_exif_spec() {
        // Stored 3 × 2:   0 1 2 / 3 4 5
        let cases: [(u32, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [0, 1, 2, 3, 4, 5]),
            (2, (3, 2), [2, 1, 0, 5, 4, 3]),
            (3, (3, 2), [5, 4, 3, 2, 1, 0]),
            (4, (3, 2), [3, 4, 5, 0, 1, 2]),
            (5, (2, 3), [0, 3, 1, 4, 2, 5]),
            (6, (2, 3), [3, 0, 4, 1, 5, 2]),
            (7, (2, 3), [5, 2, 4, 1, 3, 0]),
            (8, (2, 3), [2, 5, 1, 4, 0, 3]),
        ];
        for (tag, size, expected) in cases {
            let out = Orientation::from_tag(tag).apply(numbered(3, 2));
            assert_eq!((out.width, out.height), size, "orientation {tag}");
            assert_eq!(reds(&out), expected, "orientation {tag}");
        }
    }

    #[test]
    fn rect_mapping_agrees_with_pixel_mapping() {
        // The upright pixel (0,0) must come from the stored cell the rect maps to.
        for tag in 1..=8 {
            let o = Orientation::from_tag(tag);
            let upright = o.apply(numbered(3, 2));
            let r = o.upright_rect_to_stored(
                Rect {
                    x: 0.0,
                    y: 0.0,
                    width: 1.0,
                    height: 1.0,
                },
                3.0,
                2.0,
            );
            let stored_index = (r.y as usize) * 3 + r.x as usize;
            assert_eq!(upright.data[0] as usize, stored_index, "orientation {tag}");
        }
    }

    #[test]
    fn out_of_range_tags_mean_as_stored() {
        assert_eq!(Orientation::from_tag(0), Orientation::NORMAL);
        assert_eq!(Orientation::from_tag(9), Orientation::NORMAL);
        assert_eq!(Orientation::from_tag(70_000).tag(), 1);
    }
}
