//! Tests of the workspace from outside. `architecture.rs` holds the crate map of
//! `docs/architecture.md` to account: which crate may depend on which. The black-box journeys
//! against the built `vodokanal` binary join it with the HTTP front.
