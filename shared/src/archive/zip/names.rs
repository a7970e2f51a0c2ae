//! Names inside a zip: a photo's original file name made safe to extract anywhere, and made
//! unique case-insensitively (`IMG.jpg`, `img.JPG` → `IMG.jpg`, `img (2).JPG`).
//!
//! Upload validation already refuses slashes and control characters, but an archive is
//! extracted by many tools on many systems, so the name is cleaned again here with the
//! strictest of them in mind: no path separators or `..` (zip-slip), no characters Windows
//! cannot store, no reserved device names, no invisible direction overrides that make
//! `gpj.exe` look like `exe.jpg`, bounded length.

use std::collections::{HashMap, HashSet};

use crate::domain::download_name::{shorten_keeping_extension, split_extension};

/// Longest name (bytes of UTF-8) before a clash suffix: with ` (20000)` it stays well under
/// the 255 bytes file systems allow.
pub const MAX_NAME_BYTES: usize = 200;

/// What an empty (or entirely removed) name becomes.
const FALLBACK_NAME: &str = "photo";

/// Windows device names: a file called `CON.jpg` cannot be created there.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Characters some system cannot hold in a file name: replaced by `_`.
fn is_unportable(c: char) -> bool {
    matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
}

/// Invisible characters that reorder or hide text: dropped.
fn is_invisible_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}'
        )
}

/// One file name made safe to extract: a single path component, portable, bounded.
pub fn sanitise(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|&c| !is_invisible_control(c))
        .map(|c| if is_unportable(c) { '_' } else { c })
        .collect();
    // Leading dots hide a file (and `..` climbs out); trailing dots and spaces are dropped by
    // Windows, so two names differing only there would clash after extraction.
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut name = shorten_keeping_extension(trimmed, MAX_NAME_BYTES);
    if name.is_empty() {
        return FALLBACK_NAME.to_owned();
    }
    // Windows reserves the device name whatever follows its first dot (`CON.tar.gz`).
    let device = name.split('.').next().unwrap_or_default();
    if RESERVED.contains(&device.trim_end().to_ascii_lowercase().as_str()) {
        name.insert(0, '_');
    }
    name
}

/// Gives every name a unique spelling, comparing case-insensitively, in the order given:
/// the first keeps its name, later ones get ` (2)`, ` (3)` … before the extension.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: HashSet<String>,
    next_suffix: HashMap<String, u32>,
}

impl UniqueNames {
    /// No names taken yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `name` (already sanitised) or the first free numbered variant of it.
    pub fn claim(&mut self, name: &str) -> String {
        let folded = name.to_lowercase();
        if self.taken.insert(folded.clone()) {
            return name.to_owned();
        }
        let (stem, extension) = split_extension(name);
        // Counting on from the last suffix handed out for this name keeps 20,000 copies
        // of `IMG.jpg` linear instead of quadratic.
        let mut n = self.next_suffix.get(&folded).copied().unwrap_or(2);
        loop {
            let candidate = format!("{stem} ({n}){extension}");
            n = n.saturating_add(1);
            if self.taken.insert(candidate.to_lowercase()) {
                self.next_suffix.insert(folded, n);
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_tricks_become_a_single_plain_name() {
        assert_eq!(sanitise("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitise("/abs/path.jpg"), "_abs_path.jpg");
        assert_eq!(sanitise("C:\\Windows\\x.jpg"), "C__Windows_x.jpg");
        assert_eq!(sanitise(".."), "photo");
        assert_eq!(sanitise("."), "photo");
        assert_eq!(sanitise(".hidden.jpg"), "hidden.jpg");
        assert_eq!(sanitise("name.jpg. . "), "name.jpg");
    }

    #[test]
    fn control_and_direction_characters_are_removed() {
        assert_eq!(sanitise("a\u{0}b\u{7}c\r\n.jpg"), "abc.jpg");
        // U+202E would show "IMG_gpj.exe" as "IMG_exe.jpg".
        assert_eq!(sanitise("IMG_\u{202E}gpj.exe"), "IMG_gpj.exe");
        assert_eq!(sanitise("\u{200B}\u{FEFF}"), "photo");
    }

    #[test]
    fn unportable_characters_and_device_names_are_replaced() {
        assert_eq!(sanitise("a:b*c?\"<>|.jpg"), "a_b_c_____.jpg");
        assert_eq!(sanitise("CON.jpg"), "_CON.jpg");
        assert_eq!(sanitise("lpt1"), "_lpt1");
        assert_eq!(sanitise("nul.tar.gz"), "_nul.tar.gz");
        assert_eq!(sanitise("console.jpg"), "console.jpg");
    }

    #[test]
    fn empty_names_get_a_fallback() {
        assert_eq!(sanitise(""), "photo");
        assert_eq!(sanitise("   "), "photo");
    }

    #[test]
    fn long_names_are_cut_at_a_character_keeping_the_extension() {
        let long = format!("{}.jpeg", "é".repeat(300));
        let short = sanitise(&long);
        assert!(short.len() <= MAX_NAME_BYTES, "{}", short.len());
        assert!(short.ends_with("é.jpeg"), "{short}");
        let no_ext = "x".repeat(500);
        assert_eq!(sanitise(&no_ext).len(), MAX_NAME_BYTES);
        let huge_ext = format!("a.{}", "b".repeat(400));
        assert_eq!(sanitise(&huge_ext).len(), MAX_NAME_BYTES);
    }

    #[test]
    fn clashes_are_numbered_case_insensitively_before_the_extension() {
        let mut names = UniqueNames::new();
        let got: Vec<String> = [
            "IMG.jpg",
            "img.JPG",
            "IMG.jpg",
            "IMG (2).jpg",
            "other",
            "OTHER",
        ]
        .iter()
        .map(|n| names.claim(n))
        .collect();
        assert_eq!(
            got,
            [
                "IMG.jpg",
                "img (2).JPG",
                "IMG (3).jpg",
                "IMG (2) (2).jpg",
                "other",
                "OTHER (2)"
            ]
        );
    }

    #[test]
    fn twenty_thousand_copies_of_one_name_stay_unique_and_fast() {
        let mut names = UniqueNames::new();
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            assert!(seen.insert(names.claim("IMG.jpg").to_lowercase()));
        }
        assert!(seen.contains("img (20000).jpg"));
    }
}
