//! `targetcli_rs`: Python bindings over the targetcli-rs library.
//!
//! ```python
//! import targetcli_rs
//! root = targetcli_rs.Root()                    # /sys/kernel/config/target
//! rd = root.create_storage_object("ramdisk", "rd0", size=16 << 20)
//! t = root.create_target("iscsi", "iqn.2003-01.org.example:t1")
//! tpg = t.create_tpg()
//! tpg.create_lun(rd)
//! root.save("/etc/rtslib-fb-target/saveconfig.json")
//! ```
//!
//! Objects are handles (a reference and the tree): reading one reads the
//! live tree, so a handle to something deleted raises `NotFoundError`.
//! Every failure raises a subclass of `TargetcliError` whose message is the
//! library's: what failed, where, and what to do next.

mod errors;
mod objects;
mod root;

use pyo3::prelude::*;

use errors::{ExistsError, InUseError, InvalidError, KernelError, NotFoundError, TargetcliError};
use objects::{Acl, Lun, StorageObject, Target, Tpg};
use root::Root;
use targetcli::savefile;

/// The module.
#[pymodule]
fn targetcli_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "DEFAULT_SAVE_FILE",
        savefile::default_save_file().display().to_string(),
    )?;
    m.add_class::<Root>()?;
    m.add_class::<StorageObject>()?;
    m.add_class::<Target>()?;
    m.add_class::<Tpg>()?;
    m.add_class::<Lun>()?;
    m.add_class::<Acl>()?;
    m.add("TargetcliError", py.get_type::<TargetcliError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("ExistsError", py.get_type::<ExistsError>())?;
    m.add("InUseError", py.get_type::<InUseError>())?;
    m.add("InvalidError", py.get_type::<InvalidError>())?;
    m.add("KernelError", py.get_type::<KernelError>())?;
    Ok(())
}
