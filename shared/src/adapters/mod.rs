//! Adapters: implementations of the ports over real services and embedded storage.

pub mod dynamo_catalog;
