//! The project's `openapi.yaml` as a test oracle: every response the handler tests see is
//! checked against the documented status codes and JSON schemas of its operation.
//!
//! The schema checker is small and covers exactly the JSON Schema keywords the document
//! uses (it refuses any other): the `jsonschema` crate would turn on serde_json's
//! `float_roundtrip` for the whole test build and so rebuild every AWS SDK crate twice.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

/// The parsed contract.
#[derive(Debug)]
pub struct Contract {
    doc: Value,
}

/// Where the contract lives (the workspace root).
pub fn openapi_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("openapi.yaml")
}

impl Contract {
    /// The contract, parsed once per test process. Panics if the file is missing or not
    /// YAML: every handler test depends on it.
    pub fn get() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| {
            let text = std::fs::read_to_string(openapi_path()).expect("read openapi.yaml");
            Contract::parse(&text).expect("openapi.yaml parses")
        })
    }

    /// Parses a YAML document.
    pub fn parse(yaml: &str) -> Result<Self, String> {
        let doc: Value = serde_norway::from_str(yaml).map_err(|e| e.to_string())?;
        Ok(Self { doc })
    }

    /// The whole document.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Every documented (METHOD, path) pair.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for method in ["get", "put", "post", "patch", "delete"] {
                if item.get(method).is_some() {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> Result<&'a Value, String> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference
                    .strip_prefix('#')
                    .ok_or_else(|| format!("only local refs are supported: {reference}"))?;
                self.doc
                    .pointer(pointer)
                    .ok_or_else(|| format!("dangling ref {reference}"))
            }
            None => Ok(value),
        }
    }

    /// Checks that `status` is documented for `method path` and that `body` (`Null` for an
    /// empty one) matches its schema.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let op = self.doc["paths"][path]
            .get(method.to_lowercase())
            .ok_or_else(|| format!("{method} {path} is not in openapi.yaml"))?;
        let response = op["responses"].get(status.to_string()).ok_or_else(|| {
            format!("{method} {path}: status {status} is not documented ({body})")
        })?;
        let response = self.resolve(response)?;
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            return if body.is_null() {
                Ok(())
            } else {
                Err(format!(
                    "{method} {path} {status}: documented without a body, got {body}"
                ))
            };
        };
        let mut errors = Vec::new();
        self.validate(schema, body, "", &mut errors)?;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {path} {status}: body does not match openapi.yaml: {}\nbody: {body}",
                errors.join("; ")
            ))
        }
    }

    /// Validates `value` against `schema` (JSON Schema 2020-12, the subset this document
    /// uses). A keyword outside that subset is an `Err`, so nothing is silently unchecked.
    pub fn validate(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some(schema) = schema.as_object() else {
            return match schema {
                Value::Bool(true) => Ok(()),
                Value::Bool(false) => {
                    errors.push(format!("{at}: nothing is allowed here"));
                    Ok(())
                }
                other => Err(format!("not a schema: {other}")),
            };
        };
        for keyword in schema.keys() {
            if !SUPPORTED.contains(&keyword.as_str()) {
                return Err(format!(
                    "schema keyword `{keyword}` is not supported by the checker"
                ));
            }
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = reference
                .strip_prefix('#')
                .ok_or_else(|| format!("only local refs are supported: {reference}"))?;
            let target = self
                .doc
                .pointer(pointer)
                .ok_or_else(|| format!("dangling ref {reference}"))?;
            self.validate(target, value, at, errors)?;
        }
        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                other => return Err(format!("bad type {other}")),
            };
            if !allowed.iter().any(|t| type_matches(t, value)) {
                errors.push(format!("{at}: expected {allowed:?}, got {value}"));
                return Ok(());
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {options:?}"));
        }
        if let Some(expected) = schema.get("const")
            && expected != value
        {
            errors.push(format!("{at}: expected {expected}, got {value}"));
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let mut matching = 0;
            for branch in branches {
                let mut branch_errors = Vec::new();
                self.validate(branch, value, at, &mut branch_errors)?;
                if branch_errors.is_empty() {
                    matching += 1;
                }
            }
            if matching != 1 {
                errors.push(format!(
                    "{at}: matches {matching} of the oneOf branches, not 1: {value}"
                ));
            }
        }
        match value {
            Value::String(text) => {
                let len = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
                if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                    && len < min
                {
                    errors.push(format!("{at}: shorter than {min}"));
                }
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                    && len > max
                {
                    errors.push(format!("{at}: longer than {max}"));
                }
                if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                    let re = regex_lite::Regex::new(pattern)
                        .map_err(|e| format!("bad pattern {pattern}: {e}"))?;
                    if !re.is_match(text) {
                        errors.push(format!("{at}: {text:?} does not match {pattern}"));
                    }
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                    && (x < min || x.is_nan())
                {
                    errors.push(format!("{at}: {x} < {min}"));
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                    && (x > max || x.is_nan())
                {
                    errors.push(format!("{at}: {x} > {max}"));
                }
            }
            Value::Array(items) => {
                let len = u64::try_from(items.len()).unwrap_or(u64::MAX);
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                    && len < min
                {
                    errors.push(format!("{at}: fewer than {min} items"));
                }
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                    && len > max
                {
                    errors.push(format!("{at}: more than {max} items"));
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.validate(item_schema, item, &format!("{at}/{i}"), errors)?;
                    }
                }
            }
            Value::Object(map) => {
                for name in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !map.contains_key(name) {
                        errors.push(format!("{at}: missing required `{name}`"));
                    }
                }
                let properties = schema.get("properties").and_then(Value::as_object);
                for (name, child) in map {
                    let child_at = format!("{at}/{name}");
                    match properties.and_then(|p| p.get(name)) {
                        Some(child_schema) => {
                            self.validate(child_schema, child, &child_at, errors)?;
                        }
                        None => match schema.get("additionalProperties") {
                            None => {}
                            Some(extra) => self.validate(extra, child, &child_at, errors)?,
                        },
                    }
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
        Ok(())
    }
}

/// The keywords [`Contract::validate`] understands (annotations included).
const SUPPORTED: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "const",
    "oneOf",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "format",
    "description",
    "examples",
    "default",
    "title",
];

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, value: Value) -> Vec<String> {
        let contract =
            Contract::parse("components: {schemas: {Id: {type: string, pattern: '^[0-9]+$'}}}")
                .expect("yaml");
        let mut errors = Vec::new();
        contract
            .validate(&schema, &value, "", &mut errors)
            .expect("supported schema");
        errors
    }

    #[test]
    fn the_checker_accepts_and_rejects_what_json_schema_does() {
        let obj = json!({"type": "object", "required": ["a"], "additionalProperties": false,
            "properties": {"a": {"$ref": "#/components/schemas/Id"}, "b": {"type": ["integer", "null"], "minimum": 1}}});
        assert!(check(obj.clone(), json!({"a": "12"})).is_empty());
        assert!(check(obj.clone(), json!({"a": "12", "b": null})).is_empty());
        assert!(
            !check(obj.clone(), json!({"a": "x1"})).is_empty(),
            "pattern via $ref"
        );
        assert!(!check(obj.clone(), json!({})).is_empty(), "required");
        assert!(
            !check(obj.clone(), json!({"a": "1", "c": 1})).is_empty(),
            "additional"
        );
        assert!(
            !check(obj.clone(), json!({"a": "1", "b": 0})).is_empty(),
            "minimum"
        );
        assert!(
            !check(obj, json!({"a": "1", "b": 1.5})).is_empty(),
            "integer"
        );
        let one_of = json!({"oneOf": [{"const": "a"}, {"type": "string", "maxLength": 1}]});
        assert!(check(one_of.clone(), json!("b")).is_empty());
        assert!(
            !check(one_of.clone(), json!("a")).is_empty(),
            "both branches match"
        );
        assert!(
            !check(one_of, json!("long")).is_empty(),
            "no branch matches"
        );
        let arr = json!({"type": "array", "maxItems": 1, "items": {"enum": [1]}});
        assert!(!check(arr.clone(), json!([1, 1])).is_empty());
        assert!(!check(arr, json!([2])).is_empty());
    }

    #[test]
    fn unknown_keywords_are_refused_not_ignored() {
        let contract = Contract::parse("{}").expect("yaml");
        let mut errors = Vec::new();
        assert!(
            contract
                .validate(&json!({"anyOf": []}), &json!(1), "", &mut errors)
                .is_err()
        );
    }
}
