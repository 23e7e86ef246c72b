// SPDX-License-Identifier: GPL-2.0

//! The templates, compiled into the tool, and their rendering.

use std::path::Path;

use tera::{Context, Tera};

use crate::{name, Error, File, Protocol};

const KBUILD: &str = include_str!("../templates/Kbuild.tera");
const MAIN: &str = include_str!("../templates/main.rs.tera");
const WWN_ISCSI: &str = include_str!("../templates/wwn_iscsi.rs");
const WWN_FC: &str = include_str!("../templates/wwn_fc.rs");
const WWN_SAS: &str = include_str!("../templates/wwn_sas.rs");
const WWN_SRP: &str = include_str!("../templates/wwn_srp.rs");

fn wwn_template(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Iscsi => WWN_ISCSI,
        Protocol::Fc => WWN_FC,
        Protocol::Sas => WWN_SAS,
        Protocol::Srp => WWN_SRP,
    }
}

/// The files of module `name` (already checked) for `protocol`, relative
/// to the checkout's root: fabrics/<name>/Kbuild, <name>_main.rs, wwn.rs.
pub fn module_files(name: &str, protocol: Protocol) -> Result<Vec<File>, Error> {
    let mut context = Context::new();
    context.insert("name", name);
    context.insert("camel", &name::camel_case(name));
    context.insert("proto", protocol.display_name());
    context.insert("article", protocol.article());
    let dir = Path::new("fabrics").join(name);
    [
        ("Kbuild", KBUILD, "Kbuild".to_owned()),
        ("main.rs", MAIN, format!("{name}_main.rs")),
        ("wwn.rs", wwn_template(protocol), "wwn.rs".to_owned()),
    ]
    .into_iter()
    .map(|(template, text, file)| {
        let contents = Tera::one_off(text, &context, false)
            .map_err(|e| Error::Template(template.to_owned(), error_chain(&e)))?;
        Ok(File {
            path: dir.join(file),
            contents,
        })
    })
    .collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
