//! Every route of openapi.yaml reaches its function with the right authorizer.

use super::reading::*;
use super::*;

/// The HTTP functions and their route tables.
pub(super) fn http_functions() -> Vec<(Function, BTreeSet<(String, String)>)> {
    let routes = |r: Vec<(String, String)>| r.into_iter().collect::<BTreeSet<_>>();
    vec![
        (
            Function::Presign,
            routes(
                presign_api::router()
                    .routes()
                    .iter()
                    .map(|r| (r.method.to_string(), r.pattern.to_owned()))
                    .collect(),
            ),
        ),
        (
            Function::Events,
            routes(
                events_api::router()
                    .routes()
                    .iter()
                    .map(|r| (r.method.to_string(), r.pattern.to_owned()))
                    .collect(),
            ),
        ),
        (
            Function::Gallery,
            routes(
                gallery_api::router()
                    .routes()
                    .iter()
                    .map(|r| (r.method.to_string(), r.pattern.to_owned()))
                    .collect(),
            ),
        ),
    ]
}

/// A route of the template: (method, path) → (function binary, authorization type).
pub(super) fn template_routes() -> BTreeMap<(String, String), (String, String)> {
    let mut out = BTreeMap::new();
    for (name, r) in of_type("AWS::ApiGatewayV2::Route") {
        let p = &r["Properties"];
        let key = p["RouteKey"].as_str().expect("RouteKey");
        let (method, path) = key.split_once(' ').expect("METHOD /path");
        let target = sub_text(&p["Target"]).expect("Target");
        let integration = target
            .strip_prefix("integrations/${")
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or_else(|| panic!("{name}: target {target}"));
        let integration = resource(integration);
        assert_eq!(integration["Properties"]["IntegrationType"], "AWS_PROXY");
        assert_eq!(integration["Properties"]["PayloadFormatVersion"], "2.0");
        let (function, attr) =
            get_att(&integration["Properties"]["IntegrationUri"]).expect("IntegrationUri");
        assert_eq!(attr, "Arn");
        let binary = resource(function)["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .expect("binary")
            .to_owned();
        let auth = p["AuthorizationType"].as_str().unwrap_or("NONE").to_owned();
        if auth == "JWT" {
            assert_eq!(ref_to(&p["AuthorizerId"]), Some("JwtAuthorizer"), "{name}");
        } else {
            assert!(p.get("AuthorizerId").is_none(), "{name}");
        }
        let previous = out.insert((method.to_owned(), path.to_owned()), (binary, auth));
        assert!(previous.is_none(), "{key} is declared twice");
    }
    out
}

#[test]
fn every_route_reaches_its_function_with_the_right_authorizer() {
    let routes = template_routes();
    let mut served = BTreeSet::new();
    for (function, table) in http_functions() {
        let auth = match function {
            Function::Gallery => "NONE",
            _ => "JWT",
        };
        for op in table {
            let (binary, found_auth) = routes
                .get(&op)
                .unwrap_or_else(|| panic!("{op:?} ({}) is not routed", function.name()));
            assert_eq!(binary, function.name(), "{op:?}");
            assert_eq!(found_auth, auth, "{op:?}");
            served.insert(op);
        }
    }
    let extra: Vec<_> = routes.keys().filter(|k| !served.contains(*k)).collect();
    assert!(
        extra.is_empty(),
        "routed but served by no function: {extra:?}"
    );

    // openapi.yaml: everything but the local stack's own accounts (Cognito's job here).
    let documented: BTreeSet<(String, String)> = Contract::get()
        .operations()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/api/auth/"))
        .collect();
    assert_eq!(
        documented,
        routes.keys().cloned().collect::<BTreeSet<_>>(),
        "openapi.yaml vs template routes"
    );

    // The authorizer trusts the pool's ID tokens for the web app's client.
    let jwt = &resource("JwtAuthorizer")["Properties"];
    assert_eq!(jwt["AuthorizerType"], "JWT");
    assert_eq!(
        jwt["JwtConfiguration"]["Audience"],
        json!([{"Ref": "UserPoolClient"}])
    );
    let issuer = sub_text(&jwt["JwtConfiguration"]["Issuer"]).expect("issuer");
    assert!(issuer.ends_with("amazonaws.com/${UserPool}"), "{issuer}");
    // Every integration's function may be invoked by the API.
    for (function, _) in http_functions() {
        let (name, _) = function_resource(function);
        assert!(
            of_type("AWS::Lambda::Permission").any(|(_, p)| {
                ref_to(&p["Properties"]["FunctionName"]) == Some(name)
                    && p["Properties"]["Principal"] == "apigateway.amazonaws.com"
            }),
            "{name} has no invoke permission for the API"
        );
    }
}
