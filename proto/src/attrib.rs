// SPDX-License-Identifier: GPL-2.0

//! A device's SCSI attributes (`core/<hba>/<device>/attrib/`): the values
//! the SCSI engine reads, LIO's defaults, and one table that says how each
//! attribute is shown and how a write to it is checked.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

use crate::text::{self, ParseError};

/// UNIT ATTENTION interlock control values (`emulate_ua_intlck_ctrl`).
pub const UA_INTLCK_CTRL_CLEAR: u32 = 0;
/// The highest valid `emulate_ua_intlck_ctrl` (establish a UA).
pub const UA_INTLCK_CTRL_ESTABLISH_UA: u32 = 2;
/// `submit_type` and `complete_type` 1: direct, in the submitting context.
/// (0 is the fabric's default; for `submit_type`, queued when the
/// backstore sleeps for I/O.)
pub const QUEUE_TYPE_DIRECT: u8 = 1;
/// `submit_type` and `complete_type` 2: queued, from a workqueue.
pub const QUEUE_TYPE_QUEUED: u8 = 2;
/// The highest valid `submit_type` and `complete_type`.
pub const QUEUE_TYPE_MAX: u8 = QUEUE_TYPE_QUEUED;
/// The block sizes a device may report.
pub const BLOCK_SIZES: [u32; 4] = [512, 1024, 2048, 4096];

/// The values of `attrib/`. The engine reads them; configfs writes change
/// them through [`store`] only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceAttributes {
    pub emulate_model_alias: bool,
    pub emulate_fua_write: bool,
    pub emulate_write_cache: bool,
    pub emulate_ua_intlck_ctrl: u32,
    pub emulate_tas: bool,
    pub emulate_tpu: bool,
    pub emulate_tpws: bool,
    pub emulate_caw: bool,
    pub emulate_3pc: bool,
    pub emulate_pr: bool,
    pub emulate_rsoc: bool,
    pub pi_prot_type: u32,
    pub hw_pi_prot_type: u32,
    pub pi_prot_verify: bool,
    pub enforce_pr_isids: bool,
    pub is_nonrot: bool,
    pub emulate_rest_reord: bool,
    pub force_pr_aptpl: bool,
    pub hw_block_size: u32,
    pub block_size: u32,
    pub hw_max_sectors: u32,
    pub optimal_sectors: u32,
    pub hw_queue_depth: u32,
    pub queue_depth: u32,
    pub max_unmap_lba_count: u32,
    pub max_unmap_block_desc_count: u32,
    pub unmap_granularity: u32,
    pub unmap_granularity_alignment: u32,
    pub unmap_zeroes_data: bool,
    pub max_write_same_len: u32,
    pub submit_type: u8,
    pub complete_type: u8,
    pub atomic_max_len: u32,
    pub atomic_alignment: u32,
    pub atomic_granularity: u32,
    pub atomic_max_with_boundary: u32,
    pub atomic_max_boundary: u32,
}

impl Default for DeviceAttributes {
    /// A new device's values, before it is enabled (LIO's
    /// `target_alloc_device`): the hardware limits are 0 until then.
    fn default() -> Self {
        Self {
            emulate_model_alias: false,
            emulate_fua_write: true,
            emulate_write_cache: false,
            emulate_ua_intlck_ctrl: UA_INTLCK_CTRL_CLEAR,
            emulate_tas: true,
            emulate_tpu: false,
            emulate_tpws: false,
            emulate_caw: true,
            emulate_3pc: true,
            emulate_pr: true,
            emulate_rsoc: true,
            pi_prot_type: 0,
            hw_pi_prot_type: 0,
            pi_prot_verify: false,
            enforce_pr_isids: true,
            is_nonrot: false,
            emulate_rest_reord: false,
            force_pr_aptpl: false,
            hw_block_size: 0,
            block_size: 0,
            hw_max_sectors: 0,
            optimal_sectors: 0,
            hw_queue_depth: 0,
            queue_depth: 0,
            max_unmap_lba_count: 0,
            max_unmap_block_desc_count: 0,
            unmap_granularity: 0,
            unmap_granularity_alignment: 0,
            unmap_zeroes_data: false,
            max_write_same_len: 0,
            submit_type: 0,
            complete_type: 0,
            atomic_max_len: 0,
            atomic_alignment: 0,
            atomic_granularity: 0,
            atomic_max_with_boundary: 0,
            atomic_max_boundary: 0,
        }
    }
}

/// What a backstore reports when its device is enabled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hardware {
    pub block_size: u32,
    /// Already rounded down to whole pages (see [`align_max_sectors`]).
    pub max_sectors: u32,
    pub queue_depth: u32,
    pub nonrot: bool,
    /// A volatile write cache (LIO's fileio with `fd_buffered_io`):
    /// `emulate_write_cache` starts on.
    pub write_cache: bool,
    /// The starting UNMAP and WRITE SAME limits (0: not taken), and
    /// whether unmapped blocks read as zeros.
    pub max_unmap_lba_count: u32,
    pub max_unmap_block_desc_count: u32,
    pub unmap_granularity: u32,
    pub unmap_granularity_alignment: u32,
    pub unmap_zeroes_data: bool,
    pub max_write_same_len: u32,
}

impl DeviceAttributes {
    /// Takes the backstore's limits when the device is enabled: the working
    /// values start at the hardware's, as in LIO's
    /// `target_configure_device` (a block size written before is replaced).
    pub fn enable(&mut self, hw: Hardware) {
        self.hw_block_size = hw.block_size;
        self.block_size = hw.block_size;
        self.hw_max_sectors = hw.max_sectors;
        self.optimal_sectors = hw.max_sectors;
        self.hw_queue_depth = hw.queue_depth;
        self.queue_depth = hw.queue_depth;
        if hw.nonrot {
            self.is_nonrot = true;
        }
        if hw.write_cache {
            self.emulate_write_cache = true;
        }
        // As LIO's configure_device and configure_unmap callbacks: a
        // backstore that has limits sets them (the UNMAP group together),
        // one that has none (the ramdisk) leaves what was written before.
        if hw.max_unmap_block_desc_count != 0 {
            self.max_unmap_lba_count = hw.max_unmap_lba_count;
            self.max_unmap_block_desc_count = hw.max_unmap_block_desc_count;
            self.unmap_granularity = hw.unmap_granularity;
            self.unmap_granularity_alignment = hw.unmap_granularity_alignment;
        }
        if hw.unmap_zeroes_data {
            self.unmap_zeroes_data = true;
        }
        if hw.max_write_same_len != 0 {
            self.max_write_same_len = hw.max_write_same_len;
        }
    }
}

/// A device's transfer limit in blocks, rounded down to whole pages as LIO
/// does, so a maximal transfer never ends inside a page.
pub fn align_max_sectors(max_sectors: u32, block_size: u32, page_size: u32) -> u32 {
    let per_page = page_size / block_size.max(1);
    if per_page <= 1 {
        return max_sectors;
    }
    max_sectors - max_sectors % per_page
}

/// The state of the device a write is checked against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Exported through at least one LUN.
    pub exported: bool,
    /// Enabled (LIO: configured).
    pub enabled: bool,
    /// The backstore can emulate UNMAP (LIO's `configure_unmap`).
    pub can_unmap: bool,
    /// The enabled device can unmap: it reported UNMAP limits when it was
    /// enabled (a file, or a disk that discards).
    pub device_unmaps: bool,
}

/// Why a write was refused. The kernel maps each to LIO's errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The value is not a number or flag of the attribute's kind: EINVAL,
    /// or ERANGE for a number too large for the attribute's type.
    Parse(ParseError),
    /// The value is outside what the attribute accepts: EINVAL.
    Invalid(&'static str),
    /// The attribute cannot change while the device is exported: EINVAL.
    Exported,
    /// The device or its backstore cannot do it: ENOSYS.
    NotSupported(&'static str),
    /// The write needs the device enabled: ENODEV.
    NotEnabled,
}

impl From<ParseError> for StoreError {
    fn from(e: ParseError) -> Self {
        Self::Parse(e)
    }
}

/// A write that was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// The value changed (or stayed the same).
    Set,
    /// Accepted without effect, for the reason given (LIO logs a warning).
    Ignored(&'static str),
}

/// How writes to an attribute are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Not writable.
    ReadOnly,
    /// Any flag.
    Bool,
    /// Any flag; refused while exported, checked before the value.
    BoolFixedWhenExportedFirst,
    /// Any flag; refused while exported, checked after the value.
    BoolFixedWhenExported,
    /// Any `u32`.
    U32,
    /// Accepted and ignored (LIO keeps them for old configurations).
    Deprecated,
    /// Flags that need UNMAP emulation to be set.
    UnmapFlag,
    /// `unmap_zeroes_data`: an UNMAP flag, fixed while exported.
    UnmapZeroesData,
    UaIntlckCtrl,
    PiProtType,
    PiProtFormat,
    PiProtVerify,
    RestReord,
    QueueDepth,
    OptimalSectors,
    BlockSize,
    /// ALUA and PR support are fixed by the backstore: writing the value
    /// they have is accepted, anything else refused.
    FixedSupport,
    QueueType,
}

/// One attribute: its name, how a write is checked, how to read and set it.
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    rule: Rule,
    get: fn(&DeviceAttributes) -> u32,
    set: fn(&mut DeviceAttributes, u32),
}

impl Spec {
    /// The value shown when the attribute is read (`"{}\n"`).
    pub fn show(&self, a: &DeviceAttributes) -> u32 {
        (self.get)(a)
    }
}

fn nop(_: &mut DeviceAttributes, _: u32) {}
fn zero(_: &DeviceAttributes) -> u32 {
    0
}
fn one(_: &DeviceAttributes) -> u32 {
    1
}

macro_rules! spec {
    ($name:ident, $rule:ident, bool) => {
        Spec {
            name: stringify!($name),
            rule: Rule::$rule,
            get: |a| u32::from(a.$name),
            set: |a, v| a.$name = v != 0,
        }
    };
    ($name:ident, $rule:ident, u32) => {
        Spec {
            name: stringify!($name),
            rule: Rule::$rule,
            get: |a| a.$name,
            set: |a, v| a.$name = v,
        }
    };
    ($name:ident, $rule:ident, u8) => {
        Spec {
            name: stringify!($name),
            rule: Rule::$rule,
            get: |a| u32::from(a.$name),
            // The rule has checked that the value fits.
            set: |a, v| a.$name = v as u8,
        }
    };
    ($name:ident, $rule:ident, $get:expr) => {
        Spec {
            name: stringify!($name),
            rule: Rule::$rule,
            get: $get,
            set: nop,
        }
    };
}

/// Every attribute of `attrib/`, as in LIO 7.3's `sbc_attrib_attrs`.
pub static ATTRIBUTES: [Spec; 42] = [
    spec!(emulate_model_alias, BoolFixedWhenExportedFirst, bool),
    spec!(emulate_dpo, Deprecated, one),
    spec!(emulate_fua_write, Bool, bool),
    spec!(emulate_fua_read, Deprecated, one),
    spec!(emulate_write_cache, Bool, bool),
    spec!(emulate_ua_intlck_ctrl, UaIntlckCtrl, u32),
    spec!(emulate_tas, BoolFixedWhenExported, bool),
    spec!(emulate_tpu, UnmapFlag, bool),
    spec!(emulate_tpws, UnmapFlag, bool),
    spec!(emulate_caw, Bool, bool),
    spec!(emulate_3pc, Bool, bool),
    spec!(emulate_pr, Bool, bool),
    spec!(pi_prot_type, PiProtType, u32),
    spec!(hw_pi_prot_type, ReadOnly, u32),
    spec!(pi_prot_format, PiProtFormat, zero),
    spec!(pi_prot_verify, PiProtVerify, bool),
    spec!(enforce_pr_isids, Bool, bool),
    spec!(is_nonrot, Bool, bool),
    spec!(emulate_rest_reord, RestReord, bool),
    spec!(force_pr_aptpl, BoolFixedWhenExported, bool),
    spec!(hw_block_size, ReadOnly, u32),
    spec!(block_size, BlockSize, u32),
    spec!(hw_max_sectors, ReadOnly, u32),
    spec!(optimal_sectors, OptimalSectors, u32),
    spec!(hw_queue_depth, ReadOnly, u32),
    spec!(queue_depth, QueueDepth, u32),
    spec!(max_unmap_lba_count, U32, u32),
    spec!(max_unmap_block_desc_count, U32, u32),
    spec!(unmap_granularity, U32, u32),
    spec!(unmap_granularity_alignment, U32, u32),
    spec!(unmap_zeroes_data, UnmapZeroesData, bool),
    spec!(max_write_same_len, U32, u32),
    spec!(alua_support, FixedSupport, one),
    spec!(pgr_support, FixedSupport, one),
    spec!(emulate_rsoc, Bool, bool),
    spec!(submit_type, QueueType, u8),
    spec!(complete_type, QueueType, u8),
    spec!(atomic_max_len, ReadOnly, u32),
    spec!(atomic_alignment, ReadOnly, u32),
    spec!(atomic_granularity, ReadOnly, u32),
    spec!(atomic_max_with_boundary, ReadOnly, u32),
    spec!(atomic_max_boundary, ReadOnly, u32),
];

/// The index of attribute `name` in [`ATTRIBUTES`]; fails to compile when
/// used in a constant with a name the table does not have.
pub const fn index_of(name: &str) -> usize {
    let mut i = 0;
    while i < ATTRIBUTES.len() {
        if str_eq(ATTRIBUTES[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no such device attribute");
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Checks a write of `input` to `spec` against the device's state and, if
/// it is accepted, applies it to `a`. A refused write changes nothing.
pub fn store(
    spec: &Spec,
    a: &mut DeviceAttributes,
    input: &[u8],
    ctx: Context,
) -> Result<Stored, StoreError> {
    let fixed = |ctx: Context| {
        if ctx.exported {
            Err(StoreError::Exported)
        } else {
            Ok(())
        }
    };
    // As LIO's target_try_configure_unmap(): turning UNMAP on without
    // UNMAP limits needs a backstore that unmaps, an enabled device, and a
    // device that can.
    let unmap = |a: &DeviceAttributes, flag: bool| {
        if !flag || a.max_unmap_block_desc_count != 0 {
            Ok(())
        } else if !ctx.can_unmap {
            Err(StoreError::NotSupported(
                "the backstore cannot emulate UNMAP",
            ))
        } else if !ctx.enabled {
            Err(StoreError::NotEnabled)
        } else if !ctx.device_unmaps {
            Err(StoreError::NotSupported(
                "the device cannot unmap (a disk without discard)",
            ))
        } else {
            Ok(())
        }
    };
    let value = match spec.rule {
        Rule::ReadOnly => return Err(StoreError::Invalid("read-only attribute")),
        Rule::Bool => u32::from(text::parse_bool(input)?),
        Rule::BoolFixedWhenExportedFirst => {
            fixed(ctx)?;
            u32::from(text::parse_bool(input)?)
        }
        Rule::BoolFixedWhenExported => {
            let flag = text::parse_bool(input)?;
            fixed(ctx)?;
            u32::from(flag)
        }
        Rule::U32 => text::parse_u32(input)?,
        Rule::Deprecated => return Ok(Stored::Ignored("deprecated attribute, ignored")),
        Rule::UnmapFlag => {
            let flag = text::parse_bool(input)?;
            unmap(a, flag)?;
            u32::from(flag)
        }
        Rule::UnmapZeroesData => {
            let flag = text::parse_bool(input)?;
            fixed(ctx)?;
            unmap(a, flag)?;
            u32::from(flag)
        }
        Rule::UaIntlckCtrl => {
            let v = text::parse_u32(input)?;
            if v > UA_INTLCK_CTRL_ESTABLISH_UA {
                return Err(StoreError::Invalid("must be 0, 1 or 2"));
            }
            fixed(ctx)?;
            v
        }
        Rule::PiProtType => {
            let v = text::parse_u32(input)?;
            if v > 3 {
                return Err(StoreError::Invalid("must be 0, 1, 2 or 3"));
            }
            if v == 2 {
                return Err(StoreError::NotSupported("DIF type 2 is not supported"));
            }
            if a.hw_pi_prot_type != 0 {
                return Ok(Stored::Ignored("the hardware does DIF protection"));
            }
            // LIO's block backstores all have DIF: type 0 is checked as a
            // change of protection, which needs the device enabled.
            if !ctx.enabled {
                return Err(StoreError::NotEnabled);
            }
            fixed(ctx)?;
            if v != 0 {
                return Err(StoreError::NotSupported(
                    "the backstore has no DIF protection",
                ));
            }
            // Type 0 on a backstore without protection: nothing changes.
            return Ok(Stored::Set);
        }
        Rule::PiProtFormat => {
            if !text::parse_bool(input)? {
                return Ok(Stored::Set);
            }
            return Err(StoreError::NotSupported(
                "the backstore cannot format DIF protection",
            ));
        }
        Rule::PiProtVerify => {
            let flag = text::parse_bool(input)?;
            if flag && a.hw_pi_prot_type != 0 {
                return Ok(Stored::Ignored("the hardware does DIF protection"));
            }
            if flag && a.pi_prot_type == 0 {
                return Ok(Stored::Ignored("no DIF protection to verify"));
            }
            u32::from(flag)
        }
        Rule::RestReord => {
            let flag = text::parse_bool(input)?;
            if flag {
                return Err(StoreError::NotSupported(
                    "restricted reordering is not implemented",
                ));
            }
            0
        }
        Rule::QueueDepth => {
            let v = text::parse_u32(input)?;
            fixed(ctx)?;
            if v == 0 {
                return Err(StoreError::Invalid("the queue depth cannot be 0"));
            }
            if v > a.queue_depth && v > a.hw_queue_depth {
                return Err(StoreError::Invalid("above hw_queue_depth"));
            }
            v
        }
        Rule::OptimalSectors => {
            let v = text::parse_u32(input)?;
            fixed(ctx)?;
            if v > a.hw_max_sectors {
                return Err(StoreError::Invalid("above hw_max_sectors"));
            }
            v
        }
        Rule::BlockSize => {
            let v = text::parse_u32(input)?;
            fixed(ctx)?;
            if !BLOCK_SIZES.contains(&v) {
                return Err(StoreError::Invalid("must be 512, 1024, 2048 or 4096"));
            }
            v
        }
        Rule::FixedSupport => {
            let flag = text::parse_bool(input)?;
            if u32::from(flag) != (spec.get)(a) {
                return Err(StoreError::NotSupported(
                    "fixed by the backstore; cannot change",
                ));
            }
            return Ok(Stored::Set);
        }
        Rule::QueueType => {
            let v = text::parse_u8(input)?;
            if v > QUEUE_TYPE_MAX {
                return Err(StoreError::Invalid("must be 0, 1 or 2"));
            }
            u32::from(v)
        }
    };
    (spec.set)(a, value);
    Ok(Stored::Set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(a: &mut DeviceAttributes, name: &str, v: &[u8]) -> Result<Stored, StoreError> {
        let spec = &ATTRIBUTES[ATTRIBUTES.iter().position(|s| s.name == name).unwrap()];
        store(spec, a, v, Context::default())
    }

    fn read(a: &DeviceAttributes, name: &str) -> u32 {
        ATTRIBUTES.iter().find(|s| s.name == name).unwrap().show(a)
    }

    #[test]
    fn names_are_unique() {
        for (i, s) in ATTRIBUTES.iter().enumerate() {
            assert_eq!(index_of(s.name), i, "{}", s.name);
        }
    }

    #[test]
    fn lio_defaults() {
        let a = DeviceAttributes::default();
        for (name, v) in [
            ("emulate_dpo", 1),
            ("emulate_fua_read", 1),
            ("emulate_fua_write", 1),
            ("emulate_tas", 1),
            ("emulate_caw", 1),
            ("emulate_3pc", 1),
            ("emulate_pr", 1),
            ("emulate_rsoc", 1),
            ("enforce_pr_isids", 1),
            ("alua_support", 1),
            ("pgr_support", 1),
            ("block_size", 0),
            ("queue_depth", 0),
            ("pi_prot_format", 0),
        ] {
            assert_eq!(read(&a, name), v, "{name}");
        }
    }

    #[test]
    fn enable_takes_the_hardware() {
        let mut a = DeviceAttributes::default();
        assert_eq!(write(&mut a, "block_size", b"4096"), Ok(Stored::Set));
        a.enable(Hardware {
            block_size: 512,
            max_sectors: align_max_sectors(u32::MAX, 512, 4096),
            queue_depth: 128,
            nonrot: true,
            write_cache: true,
            max_unmap_lba_count: 8192,
            max_unmap_block_desc_count: 1,
            unmap_granularity: 1,
            max_write_same_len: 4096,
            ..Default::default()
        });
        assert_eq!(a.block_size, 512);
        assert_eq!(a.hw_max_sectors, 4294967288);
        assert_eq!(a.optimal_sectors, 4294967288);
        assert_eq!(a.queue_depth, 128);
        assert!(a.is_nonrot);
        assert!(a.emulate_write_cache);
        assert_eq!(read(&a, "max_unmap_lba_count"), 8192);
        assert_eq!(read(&a, "max_unmap_block_desc_count"), 1);
        assert_eq!(read(&a, "unmap_granularity"), 1);
        assert_eq!(read(&a, "unmap_granularity_alignment"), 0);
        assert_eq!(read(&a, "max_write_same_len"), 4096);
        assert!(!a.unmap_zeroes_data);
    }

    #[test]
    fn limits_written_before_enable_stay_without_the_backstores() {
        let mut a = DeviceAttributes::default();
        assert_eq!(
            write(&mut a, "max_unmap_lba_count", b"4096"),
            Ok(Stored::Set)
        );
        assert_eq!(write(&mut a, "max_write_same_len", b"512"), Ok(Stored::Set));
        assert_eq!(
            write(&mut a, "unmap_zeroes_data", b"1"),
            Err(StoreError::NotSupported(
                "the backstore cannot emulate UNMAP"
            ))
        );
        a.enable(Hardware {
            block_size: 512,
            max_sectors: 1024,
            queue_depth: 128,
            ..Default::default()
        });
        assert_eq!(read(&a, "max_unmap_lba_count"), 4096);
        assert_eq!(read(&a, "max_write_same_len"), 512);
        assert!(!a.emulate_write_cache);
        // A backstore with an UNMAP limit sets the whole group.
        a.enable(Hardware {
            block_size: 512,
            max_unmap_lba_count: 8,
            max_unmap_block_desc_count: 1,
            ..Default::default()
        });
        assert_eq!(read(&a, "max_unmap_lba_count"), 8);
        assert_eq!(read(&a, "unmap_granularity"), 0);
        assert_eq!(read(&a, "max_write_same_len"), 512);
    }

    #[test]
    fn checks_like_lio() {
        let mut a = DeviceAttributes::default();
        assert_eq!(
            write(&mut a, "emulate_tas", b"maybe"),
            Err(StoreError::Parse(ParseError::NotANumber))
        );
        assert_eq!(
            write(&mut a, "max_write_same_len", b"4294967296"),
            Err(StoreError::Parse(ParseError::OutOfRange))
        );
        assert!(matches!(
            write(&mut a, "emulate_ua_intlck_ctrl", b"3"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            write(&mut a, "queue_depth", b"1"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            write(&mut a, "emulate_tpu", b"1"),
            Err(StoreError::NotSupported(_))
        ));
        assert_eq!(
            write(&mut a, "max_unmap_block_desc_count", b"1"),
            Ok(Stored::Set)
        );
        assert_eq!(write(&mut a, "emulate_tpu", b"1"), Ok(Stored::Set));
        assert!(matches!(
            write(&mut a, "pi_prot_type", b"2"),
            Err(StoreError::NotSupported(_))
        ));
        assert_eq!(
            write(&mut a, "pi_prot_type", b"0"),
            Err(StoreError::NotEnabled)
        );
        assert!(matches!(
            write(&mut a, "submit_type", b"256"),
            Err(StoreError::Parse(ParseError::OutOfRange))
        ));
        assert!(matches!(
            write(&mut a, "alua_support", b"0"),
            Err(StoreError::NotSupported(_))
        ));
        assert_eq!(write(&mut a, "alua_support", b"1"), Ok(Stored::Set));
        assert!(matches!(
            write(&mut a, "hw_block_size", b"512"),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn unmap_needs_a_backstore_an_enabled_device_and_a_device_that_unmaps() {
        let spec = &ATTRIBUTES[index_of("emulate_tpu")];
        let mut a = DeviceAttributes::default();
        let ctx = |can_unmap, enabled, device_unmaps| Context {
            exported: false,
            enabled,
            can_unmap,
            device_unmaps,
        };
        assert!(matches!(
            store(spec, &mut a, b"1", ctx(false, true, false)),
            Err(StoreError::NotSupported(_))
        ));
        assert_eq!(
            store(spec, &mut a, b"1", ctx(true, false, false)),
            Err(StoreError::NotEnabled)
        );
        assert!(matches!(
            store(spec, &mut a, b"1", ctx(true, true, false)),
            Err(StoreError::NotSupported(_))
        ));
        assert!(!a.emulate_tpu);
        assert_eq!(
            store(spec, &mut a, b"1", ctx(true, true, true)),
            Ok(Stored::Set)
        );
        assert!(a.emulate_tpu);
        // Turning it off is always allowed.
        assert_eq!(
            store(spec, &mut a, b"0", ctx(false, false, false)),
            Ok(Stored::Set)
        );
        // With UNMAP limits set, the backstore is not asked (LIO).
        a.max_unmap_block_desc_count = 1;
        assert_eq!(
            store(spec, &mut a, b"1", ctx(false, false, false)),
            Ok(Stored::Set)
        );
    }

    #[test]
    fn exported_devices_keep_their_settings() {
        let ctx = Context {
            exported: true,
            enabled: true,
            can_unmap: false,
            device_unmaps: false,
        };
        let mut a = DeviceAttributes::default();
        for name in [
            "emulate_model_alias",
            "emulate_tas",
            "block_size",
            "queue_depth",
        ] {
            let spec = &ATTRIBUTES[index_of(name)];
            let before = a;
            assert!(store(spec, &mut a, b"512", ctx).is_err(), "{name}");
            assert_eq!(a, before);
        }
    }
}
