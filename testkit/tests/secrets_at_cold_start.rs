//! The functions' keys read from Secrets Manager at cold start (`Adapters::aws_on`), on
//! moto: the secret named by `PICPASS_*_SECRET_ARN` becomes the key, its `AWSPREVIOUS`
//! version (after a rotation) an earlier key, and a missing or unusable secret stops the
//! cold start naming the variable and the secret.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use shared::Error;
use shared::codes_vault::CodeVault;
use shared::config::{Config, Secret};
use shared::domain::{CodeText, EventId};
use shared::services::Deps;
use shared::wiring::{Adapters, Function};

const CODE_KEY: &str = "the code secret of this test, more than 32 bytes";
const ROTATED_CODE_KEY: &str = "the code secret after the rotation, more than 32 bytes";
const VIEWER_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The test binary's moto and a client of its Secrets Manager.
async fn moto() -> (SdkConfig, Client) {
    let endpoint_url = tokio::task::spawn_blocking(testkit::moto::shared_endpoint)
        .await
        .expect("starting moto_server")
        .unwrap_or_else(|e| panic!("{e}"));
    let sdk = testkit::aws::sdk_config(endpoint_url).await;
    let client = Client::new(&sdk);
    (sdk, client)
}

/// Creates a secret of a name no other case uses; returns its ARN.
async fn create_secret(client: &Client, value: &str) -> String {
    let name = format!("picpass-test/{}", ulid::Ulid::generate());
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("CreateSecret on moto")
        .arn
        .expect("an ARN")
}

/// The configuration the template gives `function`, with `extra` variables.
fn aws_config(function: Function, extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("PICPASS_STORAGE", "aws"),
        ("PICPASS_BUCKET", "picpass-test"),
        (
            "PICPASS_PROCESS_QUEUE_URL",
            "http://127.0.0.1:1/000000000000/process",
        ),
        (
            "PICPASS_JOBS_QUEUE_URL",
            "http://127.0.0.1:1/000000000000/jobs",
        ),
        // Path-style S3 for an endpoint on an address, as for the emulators.
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
    ];
    vars.retain(|(name, _)| {
        let needs = function.needs();
        match *name {
            "PICPASS_PROCESS_QUEUE_URL" => needs.process_queue,
            "PICPASS_JOBS_QUEUE_URL" => needs.jobs_queue,
            _ => true,
        }
    });
    vars.extend_from_slice(extra);
    Config::from_lookup(|name| {
        Ok(vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned()))
    })
    .expect("the configuration parses")
}

fn key(text: &str) -> Secret {
    Secret::parse(text).expect("a valid key")
}

fn code() -> CodeText {
    CodeText::generate().expect("a code")
}

#[tokio::test]
async fn a_secret_read_at_cold_start_is_the_key_codes_are_sealed_with() {
    let (sdk, client) = moto().await;
    let arn = create_secret(&client, CODE_KEY).await;
    let config = aws_config(Function::Events, &[("PICPASS_CODE_SECRET_ARN", &arn)]);
    assert_eq!(config.code_secret, None, "no value before the cold start");

    let (config, adapters) = Adapters::aws_on(config, Function::Events, &sdk)
        .await
        .expect("the cold start reads the secret");
    assert_eq!(config.code_secret, Some(key(CODE_KEY)));
    assert!(
        config.previous_code_secrets.is_empty(),
        "never rotated: no AWSPREVIOUS"
    );

    // A code sealed with the secret's value opens with the function's vault, and back.
    let deps = Deps::new(&config, adapters, Function::Events).expect("deps");
    let vault = deps.vault().expect("the events function handles codes");
    let elsewhere = CodeVault::from_secret(CODE_KEY.as_bytes()).expect("vault");
    let (event, code) = (EventId::generate(), code());
    let sealed = elsewhere.seal(event, &code).expect("seal");
    assert_eq!(vault.open(event, &sealed).expect("opens"), code);
    let sealed = vault.seal(event, &code).expect("seal");
    assert_eq!(elsewhere.open(event, &sealed).expect("opens"), code);
    assert_eq!(
        vault.code_key(event, &code),
        elsewhere.code_key(event, &code)
    );
}

#[tokio::test]
async fn after_a_rotation_the_current_and_the_previous_value_are_keys() {
    let (sdk, client) = moto().await;
    let code_arn = create_secret(&client, CODE_KEY).await;
    let viewer_arn = create_secret(&client, VIEWER_KEY).await;
    let event = EventId::generate();
    let code = code();
    let sealed_before = CodeVault::from_secret(CODE_KEY.as_bytes())
        .expect("vault")
        .seal(event, &code)
        .expect("seal");
    // Rotation: a new value; Secrets Manager moves the old one to AWSPREVIOUS.
    client
        .put_secret_value()
        .secret_id(&code_arn)
        .secret_string(ROTATED_CODE_KEY)
        .send()
        .await
        .expect("PutSecretValue on moto");

    let older = "an older code secret listed by hand (32+ bytes)";
    let config = aws_config(
        Function::Gallery,
        &[
            ("PICPASS_CODE_SECRET_ARN", &code_arn),
            ("PICPASS_VIEWER_TOKEN_SECRET_ARN", &viewer_arn),
            ("PICPASS_CODE_SECRET_PREVIOUS", older),
        ],
    );
    let (config, adapters) = Adapters::aws_on(config, Function::Gallery, &sdk)
        .await
        .expect("the cold start reads both secrets");
    assert_eq!(config.code_secret, Some(key(ROTATED_CODE_KEY)));
    assert_eq!(
        config.previous_code_secrets,
        [key(CODE_KEY), key(older)],
        "AWSPREVIOUS first, then the listed ones"
    );
    assert_eq!(config.viewer_token_secret, Some(key(VIEWER_KEY)));
    assert!(config.previous_viewer_token_secrets.is_empty());

    // A code made before the rotation still opens and is still found; new codes use the
    // new value.
    let deps = Deps::new(&config, adapters, Function::Gallery).expect("deps");
    let vault = deps.vault().expect("the gallery opens codes");
    assert_eq!(vault.open(event, &sealed_before).expect("opens"), code);
    let before = CodeVault::from_secret(CODE_KEY.as_bytes()).expect("vault");
    let after = CodeVault::from_secret(ROTATED_CODE_KEY.as_bytes()).expect("vault");
    assert!(vault.matches(event, &code, &before.code_key(event, &code)));
    assert_eq!(vault.code_key(event, &code), after.code_key(event, &code));
    deps.viewer_tokens()
        .expect("the gallery signs viewer tokens");
}

fn assert_names(err: &Error, parts: &[&str], value: Option<&str>) {
    let text = err.to_string();
    for part in parts {
        assert!(text.contains(part), "{part:?} not in: {text}");
    }
    if let Some(value) = value {
        assert!(
            !text.contains(value),
            "the value must not be echoed: {text}"
        );
    }
    assert_eq!(err.http_status(), 500, "{err:?}");
}

#[tokio::test]
async fn a_missing_secret_stops_the_cold_start_naming_its_variable() {
    let (sdk, client) = moto().await;
    // An ARN of this account and region whose secret does not exist.
    let existing = create_secret(&client, CODE_KEY).await;
    let (prefix, _) = existing.rsplit_once(':').expect("arn:…:secret:name");
    let absent = format!("{prefix}:picpass-test/absent-AbCdEf");
    let config = aws_config(
        Function::Events,
        &[("PICPASS_CODE_SECRET_ARN", absent.as_str())],
    );
    let err = Adapters::aws_on(config, Function::Events, &sdk)
        .await
        .expect_err("no such secret");
    assert_names(&err, &["PICPASS_CODE_SECRET_ARN", &absent], None);

    // The viewer-token secret likewise, by name.
    let viewer = "picpass-test/no-such-viewer-key";
    let code_arn = create_secret(&client, CODE_KEY).await;
    let config = aws_config(
        Function::Gallery,
        &[
            ("PICPASS_CODE_SECRET_ARN", &code_arn),
            ("PICPASS_VIEWER_TOKEN_SECRET_ARN", viewer),
        ],
    );
    let err = Adapters::aws_on(config, Function::Gallery, &sdk)
        .await
        .expect_err("no such secret");
    assert_names(&err, &["PICPASS_VIEWER_TOKEN_SECRET_ARN", viewer], None);
}

#[tokio::test]
async fn a_value_too_short_to_be_a_key_is_refused_without_echoing_it() {
    let (sdk, client) = moto().await;
    let short = "short-key";
    let arn = create_secret(&client, short).await;
    let config = aws_config(Function::Events, &[("PICPASS_CODE_SECRET_ARN", &arn)]);
    let err = Adapters::aws_on(config, Function::Events, &sdk)
        .await
        .expect_err("too short");
    assert_names(
        &err,
        &["PICPASS_CODE_SECRET_ARN", &arn, "at least 32 bytes"],
        Some(short),
    );

    // A short value left in AWSPREVIOUS is refused as well: it was never a usable key.
    let arn = create_secret(&client, short).await;
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(CODE_KEY)
        .send()
        .await
        .expect("PutSecretValue on moto");
    let config = aws_config(Function::Events, &[("PICPASS_CODE_SECRET_ARN", &arn)]);
    let err = Adapters::aws_on(config, Function::Events, &sdk)
        .await
        .expect_err("too short");
    assert_names(
        &err,
        &["PICPASS_CODE_SECRET_ARN", "AWSPREVIOUS"],
        Some(short),
    );
}

#[tokio::test]
async fn a_function_reads_only_the_secrets_it_needs() {
    let (sdk, _) = moto().await;
    // `process` handles no code: a secret named for it is not read (this one does not
    // exist, and the cold start still succeeds).
    let config = aws_config(
        Function::Process,
        &[("PICPASS_CODE_SECRET_ARN", "picpass-test/not-read")],
    );
    let (config, _) = Adapters::aws_on(config, Function::Process, &sdk)
        .await
        .expect("process starts");
    assert_eq!(config.code_secret, None);
}
