//! The crate map of `docs/architecture.md`, checked: each crate's normal dependencies stay
//! within what its layer may use, and each crate says what it owns in a `//!` paragraph.
//! Also the Debian package's settings example (`crates/server/debian/env`): only variables the
//! binary reads, in lines systemd and `sh` read alike.
#![expect(
    clippy::unwrap_used,
    reason = "a missing or broken manifest fails the test loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The names of a crate's `[dependencies]` (not dev- or build-dependencies).
fn normal_dependencies(crate_dir: &str) -> Vec<String> {
    let manifest = workspace_root()
        .join("crates")
        .join(crate_dir)
        .join("Cargo.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    let parsed: toml::Table = text.parse().unwrap();
    parsed
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|deps| deps.keys().cloned().collect())
        .unwrap_or_default()
}

fn assert_only(crate_dir: &str, allowed: &[&str]) {
    let deps = normal_dependencies(crate_dir);
    let outside: Vec<&String> = deps
        .iter()
        .filter(|d| !allowed.contains(&d.as_str()))
        .collect();
    assert!(
        outside.is_empty(),
        "crates/{crate_dir} depends on {outside:?}, outside its layer"
    );
}

#[test]
fn the_domain_is_pure() {
    assert_only(
        "domain",
        &[
            "base64",
            "chrono",
            "chrono-tz",
            "serde",
            "subtle",
            "thiserror",
            "uuid",
        ],
    );
}

#[test]
fn the_use_cases_know_no_technology() {
    assert_only(
        "app",
        &[
            "vodokanal-domain",
            "async-trait",
            "base64",
            "chrono",
            "futures",
            "hmac",
            // A facade like `tracing`: no recorder, no I/O (ADR 0015).
            "metrics",
            "mockall",
            "serde",
            "sha2",
            "subtle",
            "thiserror",
            "tracing",
            "uuid",
        ],
    );
}

#[test]
fn the_http_front_knows_no_database() {
    let deps = normal_dependencies("http");
    for store in ["sqlx", "vodokanal-sqlite", "vodokanal-postgres", "reqwest"] {
        assert!(
            !deps.iter().any(|d| d == store),
            "crates/http depends on {store}"
        );
    }
}

#[test]
fn the_web_client_knows_only_how_to_serve_files() {
    assert_only("web", &["axum", "rust-embed", "sha2"]);
    for crate_dir in [
        "domain", "app", "http", "sqlite", "postgres", "sms", "mail", "payments", "push",
    ] {
        assert!(
            !normal_dependencies(crate_dir)
                .iter()
                .any(|d| d == "vodokanal-web"),
            "crates/{crate_dir} depends on vodokanal-web: only the binary serves it"
        );
    }
}

#[test]
fn stores_know_no_http_and_no_test_code() {
    for crate_dir in ["sqlite", "postgres"] {
        let deps = normal_dependencies(crate_dir);
        for outside in [
            "axum",
            "vodokanal-http",
            "vodokanal-test-support",
            "mockall",
        ] {
            assert!(
                !deps.iter().any(|d| d == outside),
                "crates/{crate_dir} depends on {outside}"
            );
        }
    }
}

#[test]
fn mocks_are_optional_in_the_use_cases() {
    let text = fs::read_to_string(workspace_root().join("crates/app/Cargo.toml")).unwrap();
    let parsed: toml::Table = text.parse().unwrap();
    let mockall = &parsed["dependencies"]["mockall"];
    assert_eq!(
        mockall.get("optional").and_then(toml::Value::as_bool),
        Some(true)
    );
}

#[test]
fn the_domain_does_not_depend_on_the_use_cases() {
    assert!(
        !normal_dependencies("domain")
            .iter()
            .any(|d| d.starts_with("vodokanal-"))
    );
}

#[test]
fn every_crate_says_what_it_owns() {
    let crates = fs::read_dir(workspace_root().join("crates")).unwrap();
    let mut checked = 0;
    for entry in crates {
        let dir = entry.unwrap().path();
        let root = ["src/lib.rs", "src/main.rs"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists());
        let Some(root) = root else { continue };
        let text = fs::read_to_string(&root).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a //! paragraph",
            root.display()
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} crates found");
}

/// The `VODOKANAL_*` names in `text`, in order, repeated as often as they occur.
fn setting_names(text: &str) -> Vec<&str> {
    text.match_indices("VODOKANAL_")
        .map(|(start, _)| {
            let rest = &text[start..];
            let end = rest
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn the_packaged_settings_example_names_only_variables_the_binary_reads() {
    let root = workspace_root();
    let cli = fs::read_to_string(root.join("crates/server/src/cli.rs")).unwrap();
    let known: Vec<&str> = cli
        .split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(name, _)| name))
        .collect();
    assert!(known.contains(&"VODOKANAL_DATABASE_URL"), "{known:?}");

    let example = fs::read_to_string(root.join("crates/server/debian/env")).unwrap();
    let named = setting_names(&example);
    let unknown: Vec<&&str> = named.iter().filter(|n| !known.contains(n)).collect();
    assert!(
        unknown.is_empty(),
        "crates/server/debian/env names {unknown:?}, which crates/server/src/cli.rs does not read"
    );
    // And the other way: every setting the operator may set is in the example (the hidden
    // ones are for tests).
    let missing: Vec<&&str> = known
        .iter()
        .filter(|name| !named.contains(name) && **name != "VODOKANAL_TEST_CLOCK")
        .collect();
    assert!(
        missing.is_empty(),
        "crates/server/debian/env does not name {missing:?}, which crates/server/src/cli.rs reads"
    );

    // What systemd and `sh` both read the same way: `NAME=value` lines, the rest comments.
    for line in example.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        assert!(
            line.contains('='),
            "neither a comment nor NAME=value: {line}"
        );
        let (name, value) = line.split_once('=').unwrap();
        assert!(known.contains(&name), "{line}");
        let quoted = value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'');
        assert!(
            quoted || !value.contains(|c: char| c.is_whitespace() || "#;<>&|'\"".contains(c)),
            "a value with spaces or shell characters goes in single quotes: {line}"
        );
    }
}
