// SPDX-License-Identifier: GPL-2.0

//! Backstore devices: `core/<hba>/<device>/`.
//!
//! A device is made by `mkdir`, configured through `control` (backstore
//! parameters such as `rd_pages=N`) while it is disabled, and enabled by
//! writing 1 to `enable`, when the backstore allocates what it needs. The
//! SCSI-visible parts (attrib/, wwn/, pr/, alua/, statistics/) come with
//! the engine.

use core::sync::atomic::{AtomicU32, Ordering};

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::backstores::abi::DeviceGeometry;
use crate::backstores::Backend;
use crate::configfs::{configfs_node_type, NewNode, Page};
use crate::inquiry;
use crate::text;

/// The longest alias or udev_path, as in LIO (512 bytes with the NUL).
const PATH_MAX_LEN: usize = 511;

/// A device's configuration, changed only under its lock.
struct Config {
    /// Set once the device is enabled.
    geometry: Option<DeviceGeometry>,
    alias: Option<CString>,
    udev_path: Option<CString>,
    /// What INQUIRY reports: `wwn/`.
    wwn: Wwn,
}

/// The identification a device reports (`wwn/`).
struct Wwn {
    vendor: Text<{ inquiry::VENDOR_LEN }>,
    product: Text<{ inquiry::PRODUCT_LEN }>,
    revision: Text<{ inquiry::REVISION_LEN }>,
    /// The IEEE company ID (OUI), 24 bits.
    company_id: u32,
    unit_serial: Text<{ inquiry::UNIT_SERIAL_BUF - 1 }>,
    pd_text_id_info: Text<{ inquiry::PD_TEXT_ID_INFO_BUF - 1 }>,
}

/// LIO's IEEE company ID, which LIO-compatible targets report by default.
const DEFAULT_COMPANY_ID: u32 = 0x001405;
/// The vendor identification LIO reports by default.
const DEFAULT_VENDOR: &[u8] = b"LIO-ORG";

/// A short string of at most `N` bytes, kept inline.
#[derive(Clone, Copy)]
struct Text<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Text<N> {
    /// `value`, cut to `N` bytes (callers check lengths before).
    fn new(value: &[u8]) -> Self {
        let len = value.len().min(N);
        let mut buf = [0; N];
        buf[..len].copy_from_slice(&value[..len]);
        Self { buf, len }
    }

    fn as_str(&self) -> Result<&str> {
        core::str::from_utf8(&self.buf[..self.len]).map_err(|_| EINVAL)
    }
}

/// One device, shared by its directory and its default groups.
///
/// # Invariants
///
/// `state` is the backstore's state of this device, from `alloc_device`,
/// valid until freed in `drop`.
#[pin_data(PinnedDrop)]
pub(crate) struct DeviceState {
    backend: Backend,
    state: *mut c_void,
    #[pin]
    config: Mutex<Config>,
    /// LUNs exporting the device ([`DeviceExport`]).
    exports: AtomicU32,
}

// SAFETY: `state` is owned by the device and the backstore's device type is
// `Send + Sync` (a bound of the backstore SDK); the rest is `Send + Sync`.
unsafe impl Send for DeviceState {}
// SAFETY: As above; the backstore's calls on `state` are serialised by
// `config` as the ABI asks.
unsafe impl Sync for DeviceState {}

/// `core/<hba>/<device>/`.
pub(crate) struct Device {
    dev: Arc<DeviceState>,
}

/// `core/<hba>/<device>/wwn/`.
pub(crate) struct DeviceWwn {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    DeviceWwn {
        children: false,
        attrs: [
            company_id: rw(DeviceWwn::show_company_id, DeviceWwn::store_company_id),
            pd_text_id_info: rw(DeviceWwn::show_pd_text_id_info, DeviceWwn::store_pd_text_id_info),
            product_id: rw(DeviceWwn::show_product_id, DeviceWwn::store_product_id),
            revision: rw(DeviceWwn::show_revision, DeviceWwn::store_revision),
            vendor_id: rw(DeviceWwn::show_vendor_id, DeviceWwn::store_vendor_id),
            vpd_unit_serial: rw(DeviceWwn::show_unit_serial, DeviceWwn::store_unit_serial),
        ],
    }
}

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
        let wwn = Wwn {
            vendor: Text::new(DEFAULT_VENDOR),
            product: Text::new(backend.product().to_bytes()),
            revision: Text::new(backend.revision().to_bytes()),
            company_id: DEFAULT_COMPANY_ID,
            unit_serial: Text::new(b""),
            pd_text_id_info: Text::new(b""),
        };
        // SAFETY: The table's functions are valid while `backend` pins it.
        // The result is a pointer or an ERR_PTR, as the ABI says.
        let state = kernel::error::from_err_ptr(unsafe {
            (backend.ops().alloc_device)(name.as_char_ptr())
        })?;
        // INVARIANT: `state` came from `alloc_device`; if anything below
        // fails, the partly built device is dropped, which frees it.
        let dev = Arc::pin_init(
            try_pin_init!(DeviceState {
                backend,
                state,
                config <- new_mutex!(Config {
                    geometry: None,
                    alias: None,
                    udev_path: None,
                    wwn,
                }),
                exports: AtomicU32::new(0),
            }),
            GFP_KERNEL,
        )?;
        let wwn = NewNode::new(c"wwn", DeviceWwn { dev: dev.clone() })?;
        NewNode::new(name, Device { dev })?.with_default(wwn)
    }

    fn store_control(&self, input: &[u8]) -> Result {
        let config = self.dev.config.lock();
        if config.geometry.is_some() {
            pr_err!("control: the device is enabled; parameters are fixed\n");
            return Err(EBUSY);
        }
        // SAFETY: `state` is valid (type invariant); `input` is readable for
        // its length. The config lock serialises this with `enable`.
        let ret = unsafe {
            (self.dev.backend.ops().set_params)(self.dev.state, input.as_ptr(), input.len())
        };
        kernel::error::to_result(ret)
    }

    fn show_enable(&self, page: &mut Page<'_>) -> Result {
        let enabled = self.dev.config.lock().geometry.is_some();
        page.emit(fmt!("{}\n", u8::from(enabled)))
    }

    fn store_enable(&self, input: &[u8]) -> Result {
        if text::parse_u64(input) != Ok(1) {
            pr_err!("enable: the only valid value is 1\n");
            return Err(EINVAL);
        }
        let mut config = self.dev.config.lock();
        if config.geometry.is_some() {
            pr_err!("enable: the device is already enabled\n");
            return Err(EEXIST);
        }
        let mut geometry = DeviceGeometry::default();
        // SAFETY: `state` is valid (type invariant); `geometry` is writable.
        let ret = unsafe { (self.dev.backend.ops().enable)(self.dev.state, &mut geometry) };
        kernel::error::to_result(ret)?;
        config.geometry = Some(geometry);
        Ok(())
    }

    fn show_info(&self, page: &mut Page<'_>) -> Result {
        // Held across `show_params`: the ABI serialises it with `enable`.
        let config = self.dev.config.lock();
        let (block_size, max_sectors) = config
            .geometry
            .map_or((0, 0), |g| (g.block_size, aligned_max_sectors(&g)));
        // ACTIVATED means exported through a LUN.
        let status = if self.dev.exports.load(Ordering::Relaxed) > 0 {
            "ACTIVATED"
        } else {
            "DEACTIVATED"
        };
        page.emit(fmt!(
            "Status: {}  Max Queue Depth: 0  SectorSize: {}  HwMaxSectors: {}\n        ",
            status,
            block_size,
            max_sectors
        ))?;
        let rest = page.rest();
        // SAFETY: `state` is valid (type invariant); `rest` is writable for
        // its length.
        let n = unsafe {
            (self.dev.backend.ops().show_params)(self.dev.state, rest.as_mut_ptr(), rest.len())
        };
        if n < 0 {
            return Err(Error::from_errno(n as i32));
        }
        drop(config);
        page.advance(n as usize)
    }

    fn show_alias(&self, page: &mut Page<'_>) -> Result {
        show_path(page, self.dev.config.lock().alias.as_deref())
    }

    fn store_alias(&self, input: &[u8]) -> Result {
        self.dev.config.lock().alias = Some(parse_path(c"alias", input)?);
        Ok(())
    }

    fn show_udev_path(&self, page: &mut Page<'_>) -> Result {
        show_path(page, self.dev.config.lock().udev_path.as_deref())
    }

    fn store_udev_path(&self, input: &[u8]) -> Result {
        self.dev.config.lock().udev_path = Some(parse_path(c"udev_path", input)?);
        Ok(())
    }
}

impl DeviceWwn {
    /// Shows one of the text fields of `wwn/`.
    fn show_text<const N: usize>(
        &self,
        page: &mut Page<'_>,
        field: fn(&Wwn) -> &Text<N>,
    ) -> Result {
        let config = self.dev.config.lock();
        page.emit(fmt!("{}\n", field(&config.wwn).as_str()?))
    }

    /// Replaces one of the text fields of `wwn/` with a checked value.
    fn set_text<const N: usize>(&self, value: &[u8], field: fn(&mut Wwn) -> &mut Text<N>) {
        *field(&mut self.dev.config.lock().wwn) = Text::new(value);
    }

    fn show_vendor_id(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.vendor)
    }

    fn store_vendor_id(&self, input: &[u8]) -> Result {
        let value = identification(c"vendor_id", input, inquiry::VENDOR_LEN)?;
        self.set_text(value, |w| &mut w.vendor);
        Ok(())
    }

    fn show_product_id(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.product)
    }

    fn store_product_id(&self, input: &[u8]) -> Result {
        let value = identification(c"product_id", input, inquiry::PRODUCT_LEN)?;
        self.set_text(value, |w| &mut w.product);
        Ok(())
    }

    fn show_revision(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.revision)
    }

    fn store_revision(&self, input: &[u8]) -> Result {
        let value = identification(c"revision", input, inquiry::REVISION_LEN)?;
        self.set_text(value, |w| &mut w.revision);
        Ok(())
    }

    fn show_company_id(&self, page: &mut Page<'_>) -> Result {
        // As C's "%#08x": `0x` and six digits (0x001405).
        page.emit(fmt!("{:#08x}\n", self.dev.config.lock().wwn.company_id))
    }

    fn store_company_id(&self, input: &[u8]) -> Result {
        let id = match text::parse_u64(input) {
            Ok(id) if id < 0x100_0000 => id as u32,
            Ok(_) => {
                pr_err!("company_id: an IEEE company ID has 24 bits\n");
                return Err(EOVERFLOW);
            }
            Err(_) => {
                pr_err!("company_id: not a number\n");
                return Err(EINVAL);
            }
        };
        self.dev.config.lock().wwn.company_id = id;
        Ok(())
    }

    fn show_unit_serial(&self, page: &mut Page<'_>) -> Result {
        let config = self.dev.config.lock();
        let serial = config.wwn.unit_serial.as_str()?;
        page.emit(fmt!("T10 VPD Unit Serial Number: {}\n", serial))
    }

    fn store_unit_serial(&self, input: &[u8]) -> Result {
        let value = inquiry::unit_serial(input).map_err(|_| {
            pr_err!(
                "vpd_unit_serial: at most {} bytes\n",
                inquiry::UNIT_SERIAL_BUF - 1
            );
            EOVERFLOW
        })?;
        self.set_text(value, |w| &mut w.unit_serial);
        Ok(())
    }

    fn show_pd_text_id_info(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.pd_text_id_info)
    }

    fn store_pd_text_id_info(&self, input: &[u8]) -> Result {
        let value = inquiry::pd_text_id_info(input).map_err(|_| {
            pr_err!(
                "pd_text_id_info: at most {} bytes\n",
                inquiry::PD_TEXT_ID_INFO_BUF - 1
            );
            EOVERFLOW
        })?;
        self.set_text(value, |w| &mut w.pd_text_id_info);
        Ok(())
    }
}

/// A vendor, product or revision write, checked; the reason goes to the log.
fn identification<'a>(what: &CStr, input: &'a [u8], max: usize) -> Result<&'a [u8]> {
    inquiry::identification(input, max).map_err(|e| match e {
        inquiry::FieldError::TooLong => {
            pr_err!("{:?}: longer than {} characters\n", what, max);
            EOVERFLOW
        }
        inquiry::FieldError::NotPrintable => {
            pr_err!("{:?}: only printable ASCII characters\n", what);
            EINVAL
        }
    })
}

#[pinned_drop]
impl PinnedDrop for DeviceState {
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

/// A LUN's export of a device: counted while it lives.
pub(crate) struct DeviceExport {
    dev: Arc<DeviceState>,
}

impl Device {
    /// Exports the device through a LUN; only an enabled device can be.
    pub(crate) fn export(&self) -> Result<DeviceExport> {
        // The lock orders this against `enable`.
        if self.dev.config.lock().geometry.is_none() {
            return Err(ENODEV);
        }
        self.dev.exports.fetch_add(1, Ordering::Relaxed);
        Ok(DeviceExport {
            dev: self.dev.clone(),
        })
    }
}

impl Drop for DeviceExport {
    fn drop(&mut self) {
        self.dev.exports.fetch_sub(1, Ordering::Relaxed);
    }
}
