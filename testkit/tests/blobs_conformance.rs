//! The blobs conformance suite against every adapter: `FsBlobs` on a temporary directory and
//! `S3Blobs` on an in-process s3s-fs server.

testkit::blobs_conformance!(fs, testkit::fixtures::fs_blobs());
testkit::blobs_conformance!(s3, testkit::fixtures::s3_blobs());
testkit::blobs_conformance!(
    fs_through_faults,
    testkit::fixtures::fs_blobs_through_faults()
);
