//! The tables are exactly `schema.rs`.

use super::reading::*;
use super::*;

pub(super) fn table_resource(spec: &TableSpec) -> &'static Value {
    let wanted = format!("${{AWS::StackName}}-{}", spec.logical_name);
    let found: Vec<_> = of_type("AWS::DynamoDB::Table")
        .filter(|(_, r)| sub_text(&r["Properties"]["TableName"]) == Some(wanted.as_str()))
        .collect();
    assert_eq!(found.len(), 1, "one table named {wanted}");
    found[0].1
}

pub(super) fn key_schema(v: &Value) -> (String, Option<String>) {
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
