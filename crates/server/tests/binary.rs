//! The built `vodokanal` binary names its commands. Being an integration test of this package,
//! it also makes `cargo test` and `cargo nextest run` build the binary that the black-box tests
//! of `tests/` (the `vodokanal-e2e` crate) start.

use std::process::Command;

#[test]
fn the_binary_lists_every_command() {
    let output = Command::new(env!("CARGO_BIN_EXE_vodokanal"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for command in [
        "serve",
        "migrate",
        "import-registry",
        "export",
        "readings",
        "reconcile-payments",
    ] {
        assert!(
            help.contains(&format!("  {command} ")),
            "{command} in:\n{help}"
        );
    }
}
