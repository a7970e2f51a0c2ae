//! Every function gets exactly the variables `Config` reads for it, secrets by ARN.

use super::reading::*;
use super::*;

/// Every `PICPASS_*` name `Config` reads (from its source: no other module reads the
/// environment).
pub(super) fn variables_config_reads() -> BTreeSet<String> {
    let sources = [
        include_str!("../../../shared/src/config.rs"),
        include_str!("../../../shared/src/config/secrets.rs"),
    ];
    let re = regex_lite::Regex::new(r#""(PICPASS_[A-Z_]+)""#).expect("regex");
    sources
        .iter()
        .flat_map(|source| re.captures_iter(source))
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// The secrets `function` reads at cold start: (the variable naming it, its resource).
pub(super) fn secrets_read(function: Function) -> BTreeSet<(&'static str, &'static str)> {
    let needs = function.needs();
    [
        (needs.code_secret, "PICPASS_CODE_SECRET_ARN", "CodeSecret"),
        (
            needs.viewer_token_secret,
            "PICPASS_VIEWER_TOKEN_SECRET_ARN",
            "ViewerTokenSecret",
        ),
    ]
    .into_iter()
    .filter(|(needed, _, _)| *needed)
    .map(|(_, var, secret)| (var, secret))
    .collect()
}

/// Variables a function may be given beyond what it insists on.
pub(super) fn optional_variables(function: Function) -> &'static [&'static str] {
    match function {
        // Unlock throttling reads the viewer's address from CloudFront.
        Function::Gallery => &["PICPASS_BEHIND_CLOUDFRONT"],
        _ => &[],
    }
}

#[test]
fn every_function_gets_exactly_the_variables_it_reads() {
    let known = variables_config_reads();
    assert!(
        known.contains("PICPASS_BUCKET") && known.len() > 10,
        "{known:?}"
    );
    for function in Function::ALL {
        let env = environment(function);
        let set: BTreeSet<&str> = env
            .keys()
            .map(String::as_str)
            .filter(|k| k.starts_with("PICPASS_"))
            .collect();
        for var in function.aws_variables() {
            assert!(set.contains(var), "{}: {var} is not set", function.name());
        }
        for var in &set {
            assert!(
                known.contains(*var),
                "{}: Config never reads {var}",
                function.name()
            );
            assert!(
                function.aws_variables().contains(var)
                    || optional_variables(function).contains(var),
                "{}: {var} is set but the function does not need it",
                function.name()
            );
        }
        assert_eq!(env["PICPASS_STORAGE"], "aws");
        assert_eq!(ref_to(&env["PICPASS_BUCKET"]), Some("UploadsBucket"));
        if function.needs().process_queue {
            assert_eq!(
                ref_to(&env["PICPASS_PROCESS_QUEUE_URL"]),
                Some("ProcessQueue")
            );
        }
        if function.needs().jobs_queue {
            assert_eq!(ref_to(&env["PICPASS_JOBS_QUEUE_URL"]), Some("JobsQueue"));
        }
        // Secrets by ARN (read once at cold start), never by value: a resolved dynamic
        // reference would put the key in the function's configuration.
        for (var, secret) in secrets_read(function) {
            assert_eq!(
                ref_to(&env[var]),
                Some(secret),
                "{}: {var} names the secret",
                function.name()
            );
            assert_eq!(resource(secret)["Type"], "AWS::SecretsManager::Secret");
            let generated = &resource(secret)["Properties"]["GenerateSecretString"];
            assert!(
                number(&generated["PasswordLength"], "PasswordLength")
                    >= shared::config::Secret::MIN_BYTES as u64,
                "{secret} is long enough for Config"
            );
        }
        for value_var in ["PICPASS_CODE_SECRET", "PICPASS_VIEWER_TOKEN_SECRET"] {
            assert!(
                !set.contains(value_var),
                "{}: {value_var} would put the key in the configuration",
                function.name()
            );
        }
    }
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    assert!(
        !text.contains("{{resolve:secretsmanager"),
        "no secret is resolved into the template"
    );
}
