//! Runs the Python tests (tests/test_targetcli_rs.py, unittest) against the
//! extension module built from this checkout: the module is copied as
//! `targetcli_rs.abi3.so` into a temporary directory put first on
//! PYTHONPATH, so the import is of this build and nothing installed.

use std::path::PathBuf;
use std::process::Command;

/// Builds the extension module with the cargo running this test (same
/// target directory and profile: a no-op after `cargo build`) and returns
/// the path of the library. `cargo test` alone does not build a cdylib that
/// nothing links, so the test asks for it.
fn built_module() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "build",
        "--quiet",
        "--lib",
        "-p",
        "targetcli-rs-python",
        "--message-format=json",
    ]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        out.status.success(),
        "cargo build -p targetcli-rs-python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The last compiler-artifact message of the crate names the .so.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"compiler-artifact\"") && l.contains("targetcli_rs"))
        .flat_map(|l| l.split('"'))
        .filter(|w| w.ends_with("libtargetcli_rs.so"))
        .map(PathBuf::from)
        .next_back()
        .expect("cargo named the built libtargetcli_rs.so")
}

#[test]
fn python_tests_pass_against_the_built_module() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(built_module(), dir.path().join("targetcli_rs.abi3.so"))
        .expect("copy the module");
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .args(["-m", "unittest", "-v", "test_targetcli_rs"])
        .current_dir(&tests)
        .env("PYTHONPATH", dir.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; install python3 (3.11 or later)"));
    let report = String::from_utf8_lossy(&out.stderr);
    eprintln!("{report}");
    assert!(out.status.success(), "the Python tests failed:\n{report}");
    // unittest closes with "Ran N tests" and "OK": a run of nothing fails.
    assert!(
        report.contains("\nOK") && !report.contains("Ran 0 tests"),
        "{report}"
    );
}
