//! The blobs conformance suite against every adapter that needs no outside service.

testkit::blobs_conformance!(fs, testkit::fixtures::fs_blobs());
