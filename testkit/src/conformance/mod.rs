//! Conformance suites: one list of adapter-neutral cases per port, instantiated for every
//! adapter by one macro so the lists cannot drift.
//!
//! The compiler catches a listed case that does not exist; [`assert_every_case_listed`]
//! catches the other way round (a case written but left out of its macro's list, which
//! would silently never run). Each suite's macro emits a test calling it.

pub mod blobs;
pub mod catalog;
pub mod queue;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the suites' sources are (this crate's, whatever the current directory).
fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/conformance")
}

/// The cases written in `source`: every `pub async fn` at the start of a line (helpers are
/// private or `pub(super)`).
fn cases_in(source: &str) -> Vec<String> {
    let case = regex_lite::Regex::new(r"(?m)^pub async fn ([A-Za-z0-9_]+)")
        .expect("the case pattern is a valid regex");
    case.captures_iter(source)
        .filter_map(|c| c.get(1))
        .map(|name| name.as_str().to_owned())
        .collect()
}

/// The cases written for `suite`: those of `src/conformance/{suite}.rs` by name, or, when the
/// suite is a directory, those of each `{file}.rs` in it as `{file}::{name}`.
fn written_cases(suite: &str) -> BTreeSet<String> {
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    };
    let file = suites_dir().join(format!("{suite}.rs"));
    if file.is_file() {
        return cases_in(&read(&file)).into_iter().collect();
    }
    let dir = suites_dir().join(suite);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut written = BTreeSet::new();
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let Some(stem) = path
            .extension()
            .filter(|ext| *ext == "rs")
            .and(path.file_stem())
            .and_then(|stem| stem.to_str())
        else {
            continue;
        };
        for name in cases_in(&read(&path)) {
            written.insert(format!("{stem}::{name}"));
        }
    }
    written
}

/// Panics, naming them, if `suite`'s sources hold cases that `listed` (the suite macro's
/// `@names`) lacks, or list entries no source holds.
pub fn assert_every_case_listed(suite: &str, listed: &[&str]) {
    let written = written_cases(suite);
    let listed: BTreeSet<String> = listed.iter().map(|name| (*name).to_owned()).collect();
    assert!(
        !written.is_empty(),
        "found no cases in the sources of the {suite} suite"
    );
    let unlisted: Vec<_> = written.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "cases written for the {suite} suite but missing from its macro's list (they never \
         run): {unlisted:?}"
    );
    let unwritten: Vec<_> = listed.difference(&written).collect();
    assert!(
        unwritten.is_empty(),
        "the {suite} suite's macro lists cases its sources do not hold as `pub async fn` at \
         the start of a line: {unwritten:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_the_public_async_fns_at_the_start_of_a_line() {
        let source = "
/// A case.
pub async fn listed_case(catalog: &dyn Catalog) {}
pub async fn case_over_two_lines(
    catalog: &dyn Catalog,
) {}
pub(super) async fn helper(catalog: &dyn Catalog) {}
async fn private_helper() {}
pub fn builder() {}
    pub async fn indented_is_inside_something_else() {}
";
        assert_eq!(
            cases_in(source),
            vec!["listed_case".to_owned(), "case_over_two_lines".to_owned()]
        );
    }
}
