//! `template.yaml` against the code: the binaries, the environment `Config` reads, the
//! routes and their authorizers, the policies, the tables, the reaper's stream filter and
//! the timeouts. (cfn-lint and `sam validate --lint` check it against AWS's rules:
//! `scripts/check-template`.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use serde_json::{Map, Value, json};
use shared::adapters::dynamo_catalog::event_expired_by_ttl;
use shared::adapters::dynamo_catalog::schema::{self, IndexKind, TableSpec};
use shared::archive::build::ARCHIVE_TIME_MARGIN;
use shared::http::{events_api, gallery_api, presign_api};
use shared::processing::LEASE_SECS;
use shared::processing::derivative_job::JOB_TIME_MARGIN;
use shared::wiring::Function;
use testkit::openapi::Contract;

// ------------------------------------------------------------------ reading the template

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The template as JSON, its short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub s`)
/// turned into the long form (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, …).
fn template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
        parse_template(&text)
    })
}

fn parse_template(text: &str) -> Value {
    let yaml: serde_norway::Value = serde_norway::from_str(text).expect("template.yaml is YAML");
    to_json(&yaml)
}

fn to_json(v: &serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                json!(n.as_f64())
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => serde_norway::to_string(other)
                        .expect("a key")
                        .trim()
                        .to_owned(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = to_json(&tagged.value);
            match name {
                "Ref" | "Condition" => json!({ name: inner }),
                "GetAtt" => {
                    let parts = match inner {
                        Value::String(s) => match s.split_once('.') {
                            Some((a, b)) => json!([a, b]),
                            None => json!([s]),
                        },
                        other => other,
                    };
                    json!({ "Fn::GetAtt": parts })
                }
                _ => json!({ format!("Fn::{name}"): inner }),
            }
        }
    }
}

fn resources() -> &'static Map<String, Value> {
    template()["Resources"].as_object().expect("Resources")
}

fn resource(name: &str) -> &'static Value {
    resources()
        .get(name)
        .unwrap_or_else(|| panic!("template.yaml has no resource {name}"))
}

fn of_type(kind: &str) -> impl Iterator<Item = (&'static String, &'static Value)> {
    resources().iter().filter(move |(_, r)| r["Type"] == kind)
}

/// `{"Ref": name}`.
fn ref_to(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str)
}

/// `{"Fn::GetAtt": [name, attribute]}`.
fn get_att(v: &Value) -> Option<(&str, &str)> {
    let parts = v.get("Fn::GetAtt")?.as_array()?;
    Some((parts.first()?.as_str()?, parts.get(1)?.as_str()?))
}

/// The text of a `{"Fn::Sub": "…"}` (or a plain string).
fn sub_text(v: &Value) -> Option<&str> {
    v.get("Fn::Sub")
        .and_then(Value::as_str)
        .or_else(|| v.as_str())
}

/// Every resource name a value mentions (Ref, GetAtt, `${Name}` / `${Name.Attr}` in Sub).
fn mentions(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(name) = ref_to(v) {
                out.insert(name.to_owned());
            }
            if let Some((name, _)) = get_att(v) {
                out.insert(name.to_owned());
            }
            if let Some(text) = v.get("Fn::Sub").and_then(Value::as_str) {
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let name = after[..end].split('.').next().unwrap_or_default();
                    out.insert(name.to_owned());
                    rest = &after[end..];
                }
            }
            for child in map.values() {
                mentions(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| mentions(i, out)),
        _ => {}
    }
}

/// The SAM function resource of `function` (its `Metadata.BuildProperties.Binary`).
fn function_resource(function: Function) -> (&'static str, &'static Value) {
    let found: Vec<_> = of_type("AWS::Serverless::Function")
        .filter(|(_, r)| r["Metadata"]["BuildProperties"]["Binary"] == function.name())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one function builds the {} binary",
        function.name()
    );
    (found[0].0.as_str(), found[0].1)
}

fn number(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn timeout_of(function: Function) -> Duration {
    let (name, r) = function_resource(function);
    Duration::from_secs(number(
        &r["Properties"]["Timeout"],
        &format!("{name} Timeout"),
    ))
}

/// The function's environment: the Globals' overlaid with its own.
fn environment(function: Function) -> BTreeMap<String, Value> {
    let globals = &template()["Globals"]["Function"]["Environment"]["Variables"];
    let (_, r) = function_resource(function);
    let own = &r["Properties"]["Environment"]["Variables"];
    let mut vars = BTreeMap::new();
    for source in [globals, own] {
        for (k, v) in source.as_object().into_iter().flatten() {
            vars.insert(k.clone(), v.clone());
        }
    }
    vars
}

// ------------------------------------------------------------------ binaries and build

/// The binaries of the workspace's members under `functions/` (package name = binary:
/// none declares `[[bin]]`).
fn workspace_binaries() -> BTreeSet<String> {
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

// ------------------------------------------------------------------ environment

/// Every `PICPASS_*` name `Config` reads (from its source: no other module reads the
/// environment).
fn variables_config_reads() -> BTreeSet<String> {
    let sources = [
        include_str!("../../shared/src/config.rs"),
        include_str!("../../shared/src/config/secrets.rs"),
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
fn secrets_read(function: Function) -> BTreeSet<(&'static str, &'static str)> {
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
fn optional_variables(function: Function) -> &'static [&'static str] {
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

// ------------------------------------------------------------------ routes

/// The HTTP functions and their route tables.
fn http_functions() -> Vec<(Function, BTreeSet<(String, String)>)> {
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
fn template_routes() -> BTreeMap<(String, String), (String, String)> {
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

// ------------------------------------------------------------------ policies

/// The tables each function's code touches (its services' catalog calls); `true` = writes.
fn tables_touched(function: Function) -> &'static [(&'static str, bool)] {
    match function {
        // Ownership checks, photo rows and the event's photo count.
        Function::Presign => &[
            ("UsersTable", true),
            ("EventsTable", true),
            ("PhotosTable", true),
        ],
        // Everything photographers edit; an event's expiry is carried to every child.
        Function::Events => &[
            ("UsersTable", true),
            ("EventsTable", true),
            ("PhotosTable", true),
            ("AccessCodesTable", true),
            ("JobsTable", true),
        ],
        // Watermark settings; photo status; derivative jobs.
        Function::Process => &[
            ("EventsTable", false),
            ("PhotosTable", true),
            ("JobsTable", true),
        ],
        // Reads the event by path and its codes and photos; counts unlock attempts;
        // records archive jobs.
        Function::Gallery => &[
            ("UsersTable", false),
            ("EventsTable", false),
            ("PhotosTable", false),
            ("AccessCodesTable", false),
            ("JobsTable", true),
            ("CountersTable", true),
        ],
        Function::Archive => &[
            ("EventsTable", false),
            ("PhotosTable", false),
            ("AccessCodesTable", false),
            ("JobsTable", true),
        ],
        // Scans expired events; deletes an event's rows, keeping a tombstone.
        Function::Reaper => &[
            ("EventsTable", true),
            ("PhotosTable", true),
            ("AccessCodesTable", true),
            ("JobsTable", true),
        ],
    }
}

/// What each function does to the bucket: (key prefix, S3 action).
fn objects_touched(function: Function) -> &'static [(&'static str, &'static str)] {
    match function {
        // Presigned single and multipart uploads are signed with its role.
        Function::Presign => &[
            ("originals/", "s3:PutObject"),
            ("originals/", "s3:AbortMultipartUpload"),
            ("originals/", "s3:ListMultipartUploadParts"),
            ("originals/", "s3:DeleteObject"),
        ],
        Function::Events => &[
            ("originals/", "s3:GetObject"),
            ("derived/", "s3:GetObject"),
            ("derived/", "s3:PutObject"),
            ("originals/", "s3:DeleteObject"),
            ("derived/", "s3:DeleteObject"),
            ("archives/", "s3:DeleteObject"),
            ("originals/", "s3:AbortMultipartUpload"),
        ],
        // An original whose photo is gone is deleted with whatever was derived from it.
        Function::Process => &[
            ("originals/", "s3:GetObject"),
            ("derived/", "s3:PutObject"),
            ("originals/", "s3:DeleteObject"),
            ("derived/", "s3:DeleteObject"),
        ],
        Function::Gallery => &[
            ("originals/", "s3:GetObject"),
            ("derived/", "s3:GetObject"),
            ("archives/", "s3:GetObject"),
            // The selection of an archive request.
            ("archives/", "s3:PutObject"),
        ],
        Function::Archive => &[
            ("originals/", "s3:GetObject"),
            ("archives/", "s3:GetObject"),
            ("archives/", "s3:PutObject"),
            ("archives/", "s3:DeleteObject"),
            ("archives/", "s3:AbortMultipartUpload"),
            ("archives/", "s3:ListMultipartUploadParts"),
        ],
        Function::Reaper => &[
            ("originals/", "s3:DeleteObject"),
            ("derived/", "s3:DeleteObject"),
            ("archives/", "s3:DeleteObject"),
        ],
    }
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

#[test]
fn every_table_queue_and_bucket_a_function_touches_is_in_its_policies() {
    for function in Function::ALL {
        let (name, r) = function_resource(function);
        let policies = as_list(&r["Properties"]["Policies"]);
        // SAM policy templates on tables.
        let mut crud = BTreeSet::new();
        let mut read = BTreeSet::new();
        let mut sends = BTreeSet::new();
        let mut secrets = BTreeSet::new();
        let mut statements = Vec::new();
        for policy in &policies {
            for (template_name, args) in policy.as_object().into_iter().flatten() {
                match template_name.as_str() {
                    "DynamoDBCrudPolicy" => {
                        crud.insert(ref_to(&args["TableName"]).expect("table").to_owned());
                    }
                    "DynamoDBReadPolicy" => {
                        read.insert(ref_to(&args["TableName"]).expect("table").to_owned());
                    }
                    "SQSSendMessagePolicy" => {
                        let (queue, attr) = get_att(&args["QueueName"]).expect("queue");
                        assert_eq!(attr, "QueueName");
                        sends.insert(queue.to_owned());
                    }
                    "AWSSecretsManagerGetSecretValuePolicy" => {
                        let secret = ref_to(&args["SecretArn"]).expect("secret");
                        secrets.insert(secret.to_owned());
                    }
                    "Statement" => statements.extend(as_list(args)),
                    other => panic!("{name}: unexpected policy {other}"),
                }
            }
        }
        let touched = tables_touched(function);
        for (table, writes) in touched {
            assert_eq!(resource(table)["Type"], "AWS::DynamoDB::Table", "{table}");
            let granted = crud.contains(*table) || (!writes && read.contains(*table));
            assert!(
                granted,
                "{name}: {table} ({}) not granted",
                if *writes { "write" } else { "read" }
            );
        }
        for table in crud.iter().chain(&read) {
            assert!(
                touched.iter().any(|(t, _)| t == table),
                "{name}: {table} granted but never touched"
            );
        }

        let mut queues = BTreeSet::new();
        if function.needs().process_queue {
            queues.insert("ProcessQueue".to_owned());
        }
        if function.needs().jobs_queue {
            queues.insert("JobsQueue".to_owned());
        }
        if function == Function::Reaper {
            queues.insert("ReaperDLQ".to_owned()); // its stream's on-failure destination
        }
        assert_eq!(sends, queues, "{name}: queues it sends to");

        // GetSecretValue on exactly the secrets it reads at cold start.
        let read: BTreeSet<String> = secrets_read(function)
            .into_iter()
            .map(|(_, secret)| secret.to_owned())
            .collect();
        assert_eq!(secrets, read, "{name}: secrets it may read");

        // Object access: every (prefix, action) it needs is allowed on that prefix.
        for (prefix, action) in objects_touched(function) {
            let allowed = statements.iter().any(|s| {
                s["Effect"] == "Allow"
                    && as_list(&s["Action"])
                        .iter()
                        .any(|a| a.as_str() == Some(action))
                    && as_list(&s["Resource"]).iter().any(|res| {
                        sub_text(res).is_some_and(|t| {
                            t == format!(
                                "arn:${{AWS::Partition}}:s3:::${{UploadsBucket}}/{prefix}*"
                            )
                        })
                    })
            });
            assert!(allowed, "{name}: {action} on {prefix} not allowed");
        }
        // ListBucket everywhere: without it S3 answers a missing key with 403, not 404,
        // and "not found" (a deleted photo, an unfinished archive) would read as an error.
        let lists = statements.iter().any(|s| {
            as_list(&s["Action"])
                .iter()
                .any(|a| a.as_str() == Some("s3:ListBucket"))
                && as_list(&s["Resource"])
                    .iter()
                    .any(|res| sub_text(res) == Some("arn:${AWS::Partition}:s3:::${UploadsBucket}"))
        });
        assert!(lists, "{name}: s3:ListBucket on the bucket");
        // Every statement is about the uploads bucket, and nothing is granted on "*".
        for s in &statements {
            let mut named = BTreeSet::new();
            mentions(&s["Resource"], &mut named);
            assert!(named.contains("UploadsBucket"), "{name}: {s}");
            assert!(
                !as_list(&s["Action"])
                    .iter()
                    .any(|a| a.as_str() == Some("s3:*")),
                "{name}"
            );
        }
    }
}

#[test]
fn the_queues_feed_their_consumers_with_partial_batch_failures_and_dead_letters() {
    for (function, queue, dlq) in [
        (Function::Process, "ProcessQueue", "ProcessDLQ"),
        (Function::Archive, "JobsQueue", "JobsDLQ"),
    ] {
        let (name, r) = function_resource(function);
        let events: Vec<_> = r["Properties"]["Events"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, e)| e)
            .filter(|e| e["Type"] == "SQS")
            .collect();
        assert_eq!(events.len(), 1, "{name}: one SQS trigger");
        let p = &events[0]["Properties"];
        assert_eq!(get_att(&p["Queue"]), Some((queue, "Arn")), "{name}");
        assert_eq!(
            p["FunctionResponseTypes"],
            json!(["ReportBatchItemFailures"]),
            "{name}"
        );
        let redrive = &resource(queue)["Properties"]["RedrivePolicy"];
        assert_eq!(
            get_att(&redrive["deadLetterTargetArn"]),
            Some((dlq, "Arn")),
            "{queue}"
        );
        assert!(
            of_type("AWS::CloudWatch::Alarm").any(|(_, a)| {
                as_list(&a["Properties"]["Dimensions"])
                    .iter()
                    .any(|d| get_att(&d["Value"]) == Some((dlq, "QueueName")))
            }),
            "{dlq} has no depth alarm"
        );
    }
    for function in Function::ALL {
        let (name, _) = function_resource(function);
        assert!(
            of_type("AWS::CloudWatch::Alarm").any(|(_, a)| {
                a["Properties"]["MetricName"] == "Errors"
                    && as_list(&a["Properties"]["Dimensions"])
                        .iter()
                        .any(|d| ref_to(&d["Value"]) == Some(name))
            }),
            "{name} has no errors alarm"
        );
    }

    // S3 → process queue: ObjectCreated on originals/, allowed by a queue policy whose
    // source is the bucket's *name* (a Ref to the bucket would be a cycle).
    let bucket = &resource("UploadsBucket");
    let notification = &bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"][0];
    assert_eq!(notification["Event"], "s3:ObjectCreated:*");
    assert_eq!(
        get_att(&notification["Queue"]),
        Some(("ProcessQueue", "Arn"))
    );
    assert_eq!(
        notification["Filter"]["S3Key"]["Rules"],
        json!([{"Name": "prefix", "Value": "originals/"}])
    );
    assert_eq!(bucket["DependsOn"], "ProcessQueuePolicy");
    let bucket_name = sub_text(&bucket["Properties"]["BucketName"]).expect("bucket name");
    let statement = &resource("ProcessQueuePolicy")["Properties"]["PolicyDocument"]["Statement"][0];
    let source = sub_text(&statement["Condition"]["ArnLike"]["aws:SourceArn"]).expect("source");
    assert_eq!(
        source,
        format!("arn:${{AWS::Partition}}:s3:::{bucket_name}")
    );
    let mut named = BTreeSet::new();
    mentions(&resource("ProcessQueuePolicy")["Properties"], &mut named);
    assert!(
        !named.contains("UploadsBucket"),
        "the queue policy must not reference the bucket"
    );
}

// ------------------------------------------------------------------ tables

fn table_resource(spec: &TableSpec) -> &'static Value {
    let wanted = format!("${{AWS::StackName}}-{}", spec.logical_name);
    let found: Vec<_> = of_type("AWS::DynamoDB::Table")
        .filter(|(_, r)| sub_text(&r["Properties"]["TableName"]) == Some(wanted.as_str()))
        .collect();
    assert_eq!(found.len(), 1, "one table named {wanted}");
    found[0].1
}

fn key_schema(v: &Value) -> (String, Option<String>) {
    let mut hash = None;
    let mut range = None;
    for k in as_list(v) {
        let name = k["AttributeName"]
            .as_str()
            .expect("AttributeName")
            .to_owned();
        match k["KeyType"].as_str() {
            Some("HASH") => hash = Some(name),
            Some("RANGE") => range = Some(name),
            other => panic!("key type {other:?}"),
        }
    }
    (hash.expect("a HASH key"), range)
}

#[test]
fn the_tables_are_exactly_schema_rs() {
    let tables = schema::DynamoTables::with_prefix("picpass-");
    let specs = tables.specs();
    assert_eq!(
        of_type("AWS::DynamoDB::Table").count(),
        specs.len(),
        "table count"
    );
    // The prefix the functions are given is the one the table names use.
    let prefix =
        &template()["Globals"]["Function"]["Environment"]["Variables"]["PICPASS_TABLE_PREFIX"];
    assert_eq!(sub_text(prefix), Some("${AWS::StackName}-"));
    for (spec, _) in specs {
        let t = &table_resource(&spec)["Properties"];
        let name = spec.logical_name;
        assert_eq!(t["BillingMode"], "PAY_PER_REQUEST", "{name}: on-demand");
        assert_eq!(
            t["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
            "{name}: PITR"
        );
        assert_eq!(
            key_schema(&t["KeySchema"]),
            (spec.hash_key.to_owned(), spec.range_key.map(str::to_owned)),
            "{name}: key"
        );
        let mut attributes: BTreeSet<String> =
            [spec.hash_key].into_iter().map(str::to_owned).collect();
        attributes.extend(spec.range_key.map(str::to_owned));
        let mut global = BTreeMap::new();
        let mut local = BTreeMap::new();
        for index in spec.indexes {
            attributes.insert(index.hash_key.to_owned());
            attributes.insert(index.range_key.to_owned());
            let entry = (index.hash_key.to_owned(), Some(index.range_key.to_owned()));
            match index.kind {
                IndexKind::Global => global.insert(index.name.to_owned(), entry),
                IndexKind::Local => local.insert(index.name.to_owned(), entry),
            };
        }
        let declared: BTreeMap<String, String> = as_list(&t["AttributeDefinitions"])
            .into_iter()
            .map(|a| {
                (
                    a["AttributeName"].as_str().expect("name").to_owned(),
                    a["AttributeType"].as_str().expect("type").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            declared.keys().cloned().collect::<BTreeSet<_>>(),
            attributes,
            "{name}: attribute definitions"
        );
        assert!(
            declared.values().all(|t| t == "S"),
            "{name}: every key a string"
        );
        for (field, wanted) in [
            ("GlobalSecondaryIndexes", global),
            ("LocalSecondaryIndexes", local),
        ] {
            let found: BTreeMap<String, (String, Option<String>)> = as_list(&t[field])
                .into_iter()
                .map(|i| {
                    assert_eq!(
                        i["Projection"]["ProjectionType"], "ALL",
                        "{name}: projection"
                    );
                    (
                        i["IndexName"].as_str().expect("IndexName").to_owned(),
                        key_schema(&i["KeySchema"]),
                    )
                })
                .collect();
            assert_eq!(found, wanted, "{name}: {field}");
        }
        match spec.ttl_attribute {
            Some(attr) => {
                assert_eq!(
                    t["TimeToLiveSpecification"]["AttributeName"], attr,
                    "{name}"
                );
                assert_eq!(t["TimeToLiveSpecification"]["Enabled"], true, "{name}");
            }
            None => assert!(t.get("TimeToLiveSpecification").is_none(), "{name}: no TTL"),
        }
        let stream = &t["StreamSpecification"]["StreamViewType"];
        if spec == schema::EVENTS {
            assert_eq!(stream, "OLD_IMAGE", "the reaper reads the old image");
        } else {
            assert!(stream.is_null(), "{name}: no stream");
        }
    }
}

// ------------------------------------------------------------------ reaper triggers

/// Whether an event-source filter pattern (the subset used: arrays of values, `prefix`)
/// matches a JSON record.
fn pattern_matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(k, p)| match record.get(k) {
            Some(v) => pattern_matches(p, v),
            None => false,
        }),
        Value::Array(options) => options.iter().any(|option| match option {
            Value::Object(rule) => match rule.get("prefix").and_then(Value::as_str) {
                Some(prefix) => record.as_str().is_some_and(|s| s.starts_with(prefix)),
                None => panic!("unsupported filter rule {rule:?}"),
            },
            exact => exact == record,
        }),
        other => panic!("unsupported filter pattern {other}"),
    }
}

#[test]
fn the_reaper_hears_exactly_ttl_removals_of_events_and_a_daily_schedule() {
    let (name, r) = function_resource(Function::Reaper);
    let events = r["Properties"]["Events"]
        .as_object()
        .expect("reaper events");
    let stream = events
        .values()
        .find(|e| e["Type"] == "DynamoDB")
        .expect("a DynamoDB stream trigger");
    let p = &stream["Properties"];
    assert_eq!(get_att(&p["Stream"]), Some(("EventsTable", "StreamArn")));
    assert_eq!(
        p["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        get_att(&p["DestinationConfig"]["OnFailure"]["Destination"]),
        Some(("ReaperDLQ", "Arn"))
    );
    let filters = as_list(&p["FilterCriteria"]["Filters"]);
    assert_eq!(filters.len(), 1, "{name}");
    let pattern: Value = serde_json::from_str(filters[0]["Pattern"].as_str().expect("pattern"))
        .expect("JSON pattern");
    assert!(
        events
            .values()
            .any(|e| e["Type"] == "Schedule" && e["Properties"]["Schedule"] == "rate(1 day)"),
        "{name}: a daily sweep"
    );

    // The filter lets through exactly what the handler reaps, on the sample and variants.
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/reaper/ttl-removal.json")).expect("sample"),
    )
    .expect("JSON");
    let record = sample["Records"][0].clone();
    let mut by_user = record.clone();
    by_user["userIdentity"] = Value::Null;
    let mut modified = record.clone();
    modified["eventName"] = json!("MODIFY");
    let mut claim = record.clone();
    claim["dynamodb"]["Keys"]["pk"]["S"] = json!("path#owner#wedding");
    let mut other_service = record.clone();
    other_service["userIdentity"]["principalId"] = json!("example.amazonaws.com");
    let mut seen = [0, 0];
    for (case, record) in [
        ("ttl removal", record),
        ("removed by a user", by_user),
        ("modified", modified),
        ("path claim", claim),
        ("another service", other_service),
    ] {
        let passes = pattern_matches(&pattern, &record);
        let batch: StreamEvent =
            serde_json::from_value(json!({"Records": [record]})).expect("a stream batch");
        let reaped = event_expired_by_ttl(&batch.records[0])
            .expect("handled")
            .is_some();
        assert_eq!(passes, reaped, "{case}: filter {passes}, handler {reaped}");
        seen[usize::from(passes)] += 1;
    }
    assert_eq!(seen, [4, 1]);
}

// ------------------------------------------------------------------ timeouts

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
