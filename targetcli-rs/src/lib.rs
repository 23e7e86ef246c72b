//! targetcli-rs: a typed library over the LIO / tcm-rs configfs tree
//! (`/sys/kernel/config/target`), compatible with targetcli-fb and its
//! saveconfig.json, and the shell built on it.
//!
//! ```no_run
//! use targetcli::{Root, config::{Backend, StorageObjectConfig}};
//! let root = Root::open_system()?;
//! root.create_storage_object(&StorageObjectConfig {
//!     name: "rd0".into(),
//!     attributes: Default::default(),
//!     alua_tpgs: vec![],
//!     backend: Backend::Ramdisk { wwn: None, size: 1 << 30, nullio: false },
//! })?;
//! let saved = root.dump()?.to_json();
//! # Ok::<(), targetcli::Error>(())
//! ```

pub mod alua;
pub mod aptpl;
pub mod backstore;
pub mod cfs;
pub mod complete;
pub mod config;
pub mod error;
pub mod fabric;
pub mod groups;
pub mod path;
pub mod prefs;
pub mod restore;
pub mod root;
pub mod savefile;
pub mod sessions;
pub mod shell;
pub mod size;
pub mod target;
#[cfg(test)]
mod test_tree;
pub mod tree;
pub mod wwn;

pub use error::{Error, Result};
pub use root::{Root, SoRef, TargetRef, TpgRef};
