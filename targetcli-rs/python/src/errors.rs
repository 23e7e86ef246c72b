//! The module's exceptions, and the small conversions every class uses.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use targetcli::cfs;
use targetcli::config::Plugin;
use targetcli::fabric::Fabric;
use targetcli::Error;

create_exception!(
    targetcli_rs,
    TargetcliError,
    PyException,
    "A targetcli-rs failure; the message says what to do next."
);
create_exception!(
    targetcli_rs,
    NotFoundError,
    TargetcliError,
    "The object named does not exist."
);
create_exception!(
    targetcli_rs,
    ExistsError,
    TargetcliError,
    "The object to create exists already."
);
create_exception!(
    targetcli_rs,
    InUseError,
    TargetcliError,
    "The object is in use (a storage object exported by LUNs, a LUN mapped by ACLs)."
);
create_exception!(
    targetcli_rs,
    InvalidError,
    TargetcliError,
    "A value, name or saved configuration is not valid."
);
create_exception!(
    targetcli_rs,
    KernelError,
    TargetcliError,
    "The kernel or the file system refused an operation."
);

/// The Python exception for a library error, with its message.
pub(crate) fn py_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::NotFound { .. } => NotFoundError::new_err(msg),
        Error::Exists { .. } => ExistsError::new_err(msg),
        Error::InUse { .. } => InUseError::new_err(msg),
        Error::Invalid { .. } | Error::Usage(_) | Error::BadConfig { .. } => {
            InvalidError::new_err(msg)
        }
        Error::Io { .. }
        | Error::NoConfigfs { .. }
        | Error::Refused { .. }
        | Error::Modprobe { .. } => KernelError::new_err(msg),
        _ => TargetcliError::new_err(msg),
    }
}

pub(crate) trait IntoPy<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for targetcli::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(py_err)
    }
}

pub(crate) fn invalid(what: &str, value: &str, reason: &str) -> PyErr {
    py_err(Error::invalid(what, value, reason))
}

pub(crate) fn plugin(name: &str) -> PyResult<Plugin> {
    Plugin::from_name(name)
        .ok_or_else(|| invalid("plugin", name, "use ramdisk, fileio, block, pscsi or user"))
}

pub(crate) fn fabric(name: &str) -> PyResult<&'static Fabric> {
    Fabric::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = targetcli::fabric::FABRICS.iter().map(|f| f.name).collect();
        invalid("fabric", name, &format!("use one of: {}", known.join(", ")))
    })
}

/// The readable files of `dir` and their values.
pub(crate) fn read_settings(dir: PathBuf) -> BTreeMap<String, String> {
    cfs::files(&dir)
        .into_iter()
        .filter_map(|n| Some((n.clone(), cfs::read_opt(&dir.join(&n))?)))
        .collect()
}
