//! Conformance suites: one list of adapter-neutral cases per port, instantiated for every
//! adapter by one macro so the lists cannot drift.

pub mod catalog;
pub mod queue;
