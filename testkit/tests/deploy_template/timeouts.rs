//! The timeouts nest; and the checks fail on a broken template.

use super::reading::*;
use super::reaper::pattern_matches;
use super::routes::http_functions;
use super::*;

#[test]
fn the_timeouts_nest() {
    let visibility = |queue: &str| {
        Duration::from_secs(number(
            &resource(queue)["Properties"]["VisibilityTimeout"],
            queue,
        ))
    };
    // process: queue visibility ≥ 6 × timeout > lease > job margin.
    let process = timeout_of(Function::Process);
    let lease = Duration::from_secs(u64::try_from(LEASE_SECS).expect("positive lease"));
    assert!(
        visibility("ProcessQueue") >= 6 * process,
        "ProcessQueue visibility"
    );
    assert!(
        process > lease,
        "process timeout {process:?} > lease {lease:?}"
    );
    assert!(lease > JOB_TIME_MARGIN, "lease > job margin");
    // archive: queue visibility ≥ 6 × timeout > build margin.
    let archive = timeout_of(Function::Archive);
    assert!(
        visibility("JobsQueue") >= 6 * archive,
        "JobsQueue visibility"
    );
    assert!(
        archive > ARCHIVE_TIME_MARGIN,
        "archive timeout > its margin"
    );
    // HTTP functions end before API Gateway gives up on them.
    for (function, _) in http_functions() {
        let (name, _) = function_resource(function);
        let integration = of_type("AWS::ApiGatewayV2::Integration")
            .find(|(_, i)| get_att(&i["Properties"]["IntegrationUri"]) == Some((name, "Arn")))
            .map(|(_, i)| i)
            .unwrap_or_else(|| panic!("{name}: no integration"));
        let api_limit = Duration::from_millis(number(
            &integration["Properties"]["TimeoutInMillis"],
            "TimeoutInMillis",
        ));
        assert!(api_limit <= Duration::from_secs(30), "HTTP API's maximum");
        assert!(
            timeout_of(function) < api_limit,
            "{name}: timeout < the API's"
        );
    }
    // Lambda's own limit.
    for function in Function::ALL {
        assert!(
            timeout_of(function) <= Duration::from_secs(900),
            "{}",
            function.name()
        );
    }
}

#[test]
fn the_checks_fail_on_a_broken_template() {
    // The parser keeps what the checks read: a short-form Ref and a Sub survive.
    let doc = parse_template("A: !Ref B\nC: !Sub \"x-${D.E}\"\nF: !GetAtt G.Arn\n");
    assert_eq!(ref_to(&doc["A"]), Some("B"));
    assert_eq!(get_att(&doc["F"]), Some(("G", "Arn")));
    let mut named = BTreeSet::new();
    mentions(&doc, &mut named);
    assert_eq!(
        named,
        ["B", "D", "G"].into_iter().map(str::to_owned).collect()
    );
    // The filter matcher refuses what it should.
    let pattern = json!({"eventName": ["REMOVE"], "k": {"S": [{"prefix": "event#"}]}});
    assert!(pattern_matches(
        &pattern,
        &json!({"eventName": "REMOVE", "k": {"S": "event#1"}})
    ));
    assert!(!pattern_matches(
        &pattern,
        &json!({"eventName": "REMOVE", "k": {"S": "path#1"}})
    ));
    assert!(!pattern_matches(&pattern, &json!({"eventName": "REMOVE"})));
}
