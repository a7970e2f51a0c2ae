//! Reading the template: YAML with short-form intrinsics as JSON, and lookups in it.

use super::*;

pub(super) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The template as JSON, its short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub s`)
/// turned into the long form (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, …).
pub(super) fn template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
        parse_template(&text)
    })
}

pub(super) fn parse_template(text: &str) -> Value {
    let yaml: serde_norway::Value = serde_norway::from_str(text).expect("template.yaml is YAML");
    to_json(&yaml)
}

pub(super) fn to_json(v: &serde_norway::Value) -> Value {
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

pub(super) fn resources() -> &'static Map<String, Value> {
    template()["Resources"].as_object().expect("Resources")
}

pub(super) fn resource(name: &str) -> &'static Value {
    resources()
        .get(name)
        .unwrap_or_else(|| panic!("template.yaml has no resource {name}"))
}

pub(super) fn of_type(kind: &str) -> impl Iterator<Item = (&'static String, &'static Value)> {
    resources().iter().filter(move |(_, r)| r["Type"] == kind)
}

/// `{"Ref": name}`.
pub(super) fn ref_to(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str)
}

/// `{"Fn::GetAtt": [name, attribute]}`.
pub(super) fn get_att(v: &Value) -> Option<(&str, &str)> {
    let parts = v.get("Fn::GetAtt")?.as_array()?;
    Some((parts.first()?.as_str()?, parts.get(1)?.as_str()?))
}

/// The text of a `{"Fn::Sub": "…"}` (or a plain string).
pub(super) fn sub_text(v: &Value) -> Option<&str> {
    v.get("Fn::Sub")
        .and_then(Value::as_str)
        .or_else(|| v.as_str())
}

/// Every resource name a value mentions (Ref, GetAtt, `${Name}` / `${Name.Attr}` in Sub).
pub(super) fn mentions(v: &Value, out: &mut BTreeSet<String>) {
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
pub(super) fn function_resource(function: Function) -> (&'static str, &'static Value) {
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

pub(super) fn number(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

pub(super) fn timeout_of(function: Function) -> Duration {
    let (name, r) = function_resource(function);
    Duration::from_secs(number(
        &r["Properties"]["Timeout"],
        &format!("{name} Timeout"),
    ))
}

/// The function's environment: the Globals' overlaid with its own.
pub(super) fn environment(function: Function) -> BTreeMap<String, Value> {
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

pub(super) fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}
