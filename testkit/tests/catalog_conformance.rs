//! Every catalog adapter runs the same conformance suite.

testkit::catalog_conformance!(sqlite, testkit::fixtures::sqlite_catalog());
testkit::catalog_conformance!(dynamo, testkit::fixtures::dynamo_catalog());
testkit::catalog_conformance!(
    sqlite_through_faults,
    testkit::fixtures::sqlite_catalog_through_faults()
);
