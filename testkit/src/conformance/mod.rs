//! Conformance suites: one list of cases per port, run against every adapter by a macro.

pub mod queue;
