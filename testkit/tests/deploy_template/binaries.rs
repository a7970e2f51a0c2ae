//! Every function is a workspace binary, built once with cargo lambda.

use super::reading::*;
use super::*;

/// The binaries of the workspace's members under `functions/` (package name = binary:
/// none declares `[[bin]]`).
pub(super) fn workspace_binaries() -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let members = regex_lite::Regex::new(r#"members\s*=\s*\[([^\]]*)\]"#).expect("regex");
    let list = members
        .captures(&manifest)
        .and_then(|c| c.get(1))
        .expect("workspace members")
        .as_str();
    let name = regex_lite::Regex::new(r#"(?m)^name\s*=\s*"([^"]+)""#).expect("regex");
    list.split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| m.starts_with("functions/"))
        .map(|member| {
            let dir = root().join(member);
            let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).expect("member manifest");
            assert!(!cargo.contains("[[bin]]"), "{member} renames its binary");
            assert!(dir.join("src/main.rs").is_file(), "{member} has no main.rs");
            name.captures(&cargo)
                .and_then(|c| c.get(1))
                .expect("package name")
                .as_str()
                .to_owned()
        })
        .collect()
}

#[test]
fn every_function_is_a_workspace_binary_built_once_with_cargo_lambda() {
    let binaries = workspace_binaries();
    let wired: BTreeSet<String> = Function::ALL.iter().map(|f| f.name().to_owned()).collect();
    assert_eq!(binaries, wired, "functions/* and shared::wiring::Function");
    let built: BTreeSet<String> = of_type("AWS::Serverless::Function")
        .map(|(name, r)| {
            assert_eq!(
                r["Metadata"]["BuildMethod"], "rust-cargolambda",
                "{name}: one build path (STYLE.md)"
            );
            assert!(
                r["Properties"].get("CodeUri").is_none(),
                "{name}: CodeUri comes from Globals (the workspace root)"
            );
            r["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no BuildProperties.Binary"))
                .to_owned()
        })
        .collect();
    assert_eq!(built, binaries, "template functions vs workspace binaries");

    let globals = &template()["Globals"]["Function"];
    assert_eq!(globals["CodeUri"], "./", "the workspace root");
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Handler"], "bootstrap");
    assert_eq!(globals["Architectures"], json!([{"Ref": "Architecture"}]));
    let arch = &template()["Parameters"]["Architecture"];
    assert_eq!(arch["Default"], "arm64");
    assert_eq!(arch["AllowedValues"], json!(["arm64", "x86_64"]));
}
