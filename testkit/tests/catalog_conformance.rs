//! Every catalog adapter runs the same conformance suite.

testkit::catalog_conformance!(sqlite, testkit::fixtures::sqlite_catalog());
