//! End-to-end tests of PicPass live in `tests/`; each starts the `picpass-e2e-server`
//! binary (the `picpass` command) on a free loopback port with a fresh data directory.
