// SPDX-License-Identifier: GPL-2.0

//! The generated files, byte for byte, against tests/snapshots/<name>/.
//!
//! After an intended change to a template, re-bless them with
//! `TCM_MOD_BUILDER_BLESS=1 cargo test -p tcm_mod_builder --test snapshots`
//! and review the diff.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::{env, fs};

use tcm_mod_builder::{render, Protocol};

/// One module per protocol; tests/generated_logic.rs tests their wwn.rs.
const CASES: [(&str, Protocol); 4] = [
    ("gen_iscsi", Protocol::Iscsi),
    ("gen_fc", Protocol::Fc),
    ("gen_sas", Protocol::Sas),
    ("gen_srp", Protocol::Srp),
];

fn snapshot_path(name: &str, file: &Path) -> PathBuf {
    let file = file.file_name().expect("a file name");
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
        .join(file)
}

#[test]
fn generated_files_match_snapshots() {
    let bless = env::var_os("TCM_MOD_BUILDER_BLESS").is_some();
    let mut differ = Vec::new();
    for (name, protocol) in CASES {
        let files = render::module_files(name, protocol).expect("templates render");
        let names: Vec<_> = files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(
            names,
            [
                Path::new("fabrics").join(name).join("Kbuild"),
                Path::new("fabrics")
                    .join(name)
                    .join(format!("{name}_main.rs")),
                Path::new("fabrics").join(name).join("wwn.rs"),
            ]
        );
        for file in files {
            let path = snapshot_path(name, &file.path);
            if bless {
                fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
                fs::write(&path, &file.contents).expect("write snapshot");
                continue;
            }
            match fs::read_to_string(&path) {
                Ok(expected) if expected == file.contents => {}
                Ok(_) => differ.push(path.display().to_string()),
                Err(e) => differ.push(format!("{} ({e})", path.display())),
            }
        }
    }
    assert!(
        differ.is_empty(),
        "generated files differ from their snapshots: {differ:?}; if the change is \
         intended, run TCM_MOD_BUILDER_BLESS=1 cargo test -p tcm_mod_builder --test snapshots \
         and review the diff"
    );
}

/// The kernel tree's rustfmt check covers generated modules once they are
/// committed: they must come out formatted.
#[test]
fn generated_rust_is_formatted() {
    for (name, protocol) in CASES {
        for file in render::module_files(name, protocol).expect("templates render") {
            if file.path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            // From standard input rustfmt does not follow `mod` items.
            let mut child = Command::new("rustfmt")
                .args(["--edition", "2021", "--emit", "stdout"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("rustfmt runs (rustup component add rustfmt)");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(file.contents.as_bytes())
                .expect("write to rustfmt");
            let out = child.wait_with_output().expect("rustfmt finishes");
            assert!(
                out.status.success(),
                "rustfmt failed on {}: {}",
                file.path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                String::from_utf8_lossy(&out.stdout) == file.contents,
                "{} is not rustfmt-clean",
                file.path.display()
            );
        }
    }
}

/// The rules of kernel code: no panicking shortcuts, and the places the
/// transport fills in are marked.
#[test]
fn generated_rust_follows_the_kernel_rules() {
    for (name, protocol) in CASES {
        let files = render::module_files(name, protocol).expect("templates render");
        for file in &files {
            for banned in [
                "todo!(",
                "unimplemented!(",
                "unwrap()",
                "expect(",
                "panic!(",
            ] {
                assert!(
                    !file.contents.contains(banned),
                    "{} has {banned}",
                    file.path.display()
                );
            }
            assert!(
                file.contents
                    .starts_with("# SPDX-License-Identifier: GPL-2.0\n")
                    || file
                        .contents
                        .starts_with("// SPDX-License-Identifier: GPL-2.0\n")
            );
        }
        let main = &files[1].contents;
        assert!(main.matches("FABRIC-TODO(io)").count() >= 5, "{name}");
        assert!(main.contains(&format!("alias: [\"tcm_rs_fabric_{name}\"]")));
        assert!(main.contains(&format!("name: \"{name}\"")));
        assert!(main.contains(&format!("const NAME: &'static CStr = c\"{name}\";")));
        assert!(files[0]
            .contents
            .contains(&format!("obj-m += {name}.o\n{name}-y := {name}_main.o\n")));
        // Every `unsafe` has its reason (the SDK holds the unsafe code; a
        // skeleton should need none).
        assert!(!main.contains("unsafe"), "{name}");
        assert!(!files[2].contents.contains("unsafe"), "{name}");
    }
}
