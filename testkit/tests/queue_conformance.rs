//! The queue conformance suite, once per adapter.

use testkit::queue_conformance;

queue_conformance!(memory, testkit::fixtures::memory_queue());
queue_conformance!(sqlite, testkit::fixtures::sqlite_queue());
queue_conformance!(sqs, testkit::fixtures::sqs_queue());
queue_conformance!(
    sqlite_through_faults,
    testkit::fixtures::sqlite_queue_through_faults()
);
