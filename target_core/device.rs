// SPDX-License-Identifier: GPL-2.0

//! Backstore devices: `core/<hba>/<device>/`.
//!
//! A device is made by `mkdir`, configured through `control` (backstore
//! parameters such as `rd_pages=N`) while it is disabled, and enabled by
//! writing 1 to `enable`, when the backstore allocates what it needs. The
//! SCSI-visible parts (attrib/, wwn/, pr/, alua/, statistics/) come with
//! the engine.

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Mutex};

use crate::backstores::abi::DeviceGeometry;
use crate::backstores::Backend;
use crate::configfs::{configfs_node_type, NewNode, Page};
use crate::text;

/// The longest alias or udev_path, as in LIO (512 bytes with the NUL).
const PATH_MAX_LEN: usize = 511;

/// A device's configuration, changed only under its lock.
struct Config {
    /// Set once the device is enabled.
    geometry: Option<DeviceGeometry>,
    alias: Option<CString>,
    udev_path: Option<CString>,
}

/// One device.
///
/// # Invariants
///
/// `state` is the backstore's state of this device, from `alloc_device`,
/// valid until freed in `drop`.
#[pin_data(PinnedDrop)]
pub(crate) struct Device {
    backend: Backend,
    state: *mut c_void,
    #[pin]
    config: Mutex<Config>,
}

// SAFETY: `state` is owned by the device and the backstore's device type is
// `Send + Sync` (a bound of the backstore SDK); the rest is `Send + Sync`.
unsafe impl Send for Device {}
// SAFETY: As above; the backstore's calls on `state` are serialised by
// `config` where the SDK asks for it.
unsafe impl Sync for Device {}

configfs_node_type! {
    Device {
        children: false,
        attrs: [
            alias: rw(Device::show_alias, Device::store_alias),
            control: wo(Device::store_control),
            enable: rw(Device::show_enable, Device::store_enable),
            info: ro(Device::show_info),
            udev_path: rw(Device::show_udev_path, Device::store_udev_path),
        ],
    }
}

impl Device {
    /// Makes the device `name` of backstore `backend`.
    pub(crate) fn new(backend: Backend, name: &CStr) -> Result<NewNode<Device>> {
        // SAFETY: The table's functions are valid while `backend` pins it.
        // The result is a pointer or an ERR_PTR, as the ABI says.
        let state = kernel::error::from_err_ptr(unsafe {
            (backend.ops().alloc_device)(name.as_char_ptr())
        })?;
        // INVARIANT: `state` came from `alloc_device`; if building the node
        // fails, the partly built device is dropped, which frees it.
        NewNode::new_pinned(
            name,
            try_pin_init!(Device {
                backend,
                state,
                config <- new_mutex!(Config {
                    geometry: None,
                    alias: None,
                    udev_path: None,
                }),
            }),
        )
    }

    fn store_control(&self, input: &[u8]) -> Result {
        let config = self.config.lock();
        if config.geometry.is_some() {
            pr_err!("control: the device is enabled; parameters are fixed\n");
            return Err(EBUSY);
        }
        // SAFETY: `state` is valid (type invariant); `input` is readable for
        // its length. The config lock serialises this with `enable`.
        let ret =
            unsafe { (self.backend.ops().set_params)(self.state, input.as_ptr(), input.len()) };
        kernel::error::to_result(ret)
    }

    fn show_enable(&self, page: &mut Page<'_>) -> Result {
        let enabled = self.config.lock().geometry.is_some();
        page.emit(fmt!("{}\n", u8::from(enabled)))
    }

    fn store_enable(&self, input: &[u8]) -> Result {
        if text::parse_u64(input) != Ok(1) {
            pr_err!("enable: the only valid value is 1\n");
            return Err(EINVAL);
        }
        let mut config = self.config.lock();
        if config.geometry.is_some() {
            pr_err!("enable: the device is already enabled\n");
            return Err(EEXIST);
        }
        let mut geometry = DeviceGeometry::default();
        // SAFETY: `state` is valid (type invariant); `geometry` is writable.
        let ret = unsafe { (self.backend.ops().enable)(self.state, &mut geometry) };
        kernel::error::to_result(ret)?;
        config.geometry = Some(geometry);
        Ok(())
    }

    fn show_info(&self, page: &mut Page<'_>) -> Result {
        // Held across `show_params`: the ABI serialises it with `enable`.
        let config = self.config.lock();
        let (block_size, max_sectors) = config
            .geometry
            .map_or((0, 0), |g| (g.block_size, aligned_max_sectors(&g)));
        // ACTIVATED means exported through a LUN, which needs the engine.
        page.emit(fmt!(
            "Status: DEACTIVATED  Max Queue Depth: 0  SectorSize: {}  HwMaxSectors: {}\n        ",
            block_size,
            max_sectors
        ))?;
        let rest = page.rest();
        // SAFETY: `state` is valid (type invariant); `rest` is writable for
        // its length.
        let n =
            unsafe { (self.backend.ops().show_params)(self.state, rest.as_mut_ptr(), rest.len()) };
        if n < 0 {
            return Err(Error::from_errno(n as i32));
        }
        drop(config);
        page.advance(n as usize)
    }

    fn show_alias(&self, page: &mut Page<'_>) -> Result {
        show_path(page, self.config.lock().alias.as_deref())
    }

    fn store_alias(&self, input: &[u8]) -> Result {
        self.config.lock().alias = Some(parse_path(c"alias", input)?);
        Ok(())
    }

    fn show_udev_path(&self, page: &mut Page<'_>) -> Result {
        show_path(page, self.config.lock().udev_path.as_deref())
    }

    fn store_udev_path(&self, input: &[u8]) -> Result {
        self.config.lock().udev_path = Some(parse_path(c"udev_path", input)?);
        Ok(())
    }
}

#[pinned_drop]
impl PinnedDrop for Device {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `state` came from `alloc_device` and is freed once, here.
        unsafe { (self.backend.ops().free_device)(self.state) };
    }
}

/// The device's transfer limit in blocks, rounded down to whole pages as
/// LIO does (so a maximal transfer never ends inside a page).
fn aligned_max_sectors(g: &DeviceGeometry) -> u32 {
    let per_page = (kernel::page::PAGE_SIZE as u32) / g.block_size.max(1);
    if per_page <= 1 {
        return g.max_sectors;
    }
    g.max_sectors - g.max_sectors % per_page
}

fn show_path(page: &mut Page<'_>, value: Option<&CStr>) -> Result {
    match value {
        Some(v) => page.emit(fmt!("{}\n", v.to_str().map_err(|_| EINVAL)?)),
        None => Ok(()),
    }
}

/// A written alias or path: one line, at most 511 bytes, no NUL.
fn parse_path(what: &CStr, input: &[u8]) -> Result<CString> {
    let value = text::strip_newline(input);
    if value.len() > PATH_MAX_LEN {
        pr_err!(
            "{:?}: {} bytes is longer than {}\n",
            what,
            value.len(),
            PATH_MAX_LEN
        );
        return Err(EINVAL);
    }
    if value.contains(&b'\n') {
        pr_err!("{:?}: must be one line of text\n", what);
        return Err(EINVAL);
    }
    crate::sys::cstring(value)
}
