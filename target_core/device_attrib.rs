// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<device>/attrib/`: the device's SCSI attributes.
//!
//! The values live in `DeviceAttributes` in the device's configuration,
//! where the SCSI engine reads them. Which attributes exist, their
//! defaults and how a write is checked are one table in the shared code
//! (proto/src/attrib.rs); this file shows and stores through it, under the
//! device's lock, and turns a refusal into LIO's errno and a log line.

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::attrib::{self, Context, StoreError, Stored, ATTRIBUTES};
use crate::configfs::{configfs_node_type, Page};
use crate::device::{DeviceState, Text};
use crate::text::ParseError;

/// `core/<hba>/<device>/attrib/`.
pub(crate) struct DeviceAttrib {
    dev: Arc<DeviceState>,
}

impl DeviceAttrib {
    pub(crate) fn new(dev: Arc<DeviceState>) -> Self {
        Self { dev }
    }

    fn show(&self, index: usize, page: &mut Page<'_>) -> Result {
        let spec = ATTRIBUTES.get(index).ok_or(EINVAL)?;
        let value = spec.show(&self.dev.config.lock().attrib);
        page.emit(fmt!("{}\n", value))
    }

    fn store(&self, index: usize, input: &[u8]) -> Result {
        let spec = ATTRIBUTES.get(index).ok_or(EINVAL)?;
        let mut config = self.dev.config.lock();
        let ctx = Context {
            exported: self.dev.is_exported(),
            enabled: config.enabled(),
            can_unmap: self.dev.can_unmap(),
            device_unmaps: config.device_unmaps(),
        };
        match attrib::store(spec, &mut config.attrib, input, ctx) {
            Ok(Stored::Set) => {}
            Ok(Stored::Ignored(why)) => {
                pr_warn!("attrib/{}: {}\n", spec.name, why);
                return Ok(());
            }
            Err(e) => return Err(refused(spec.name, e)),
        }
        self.dev.attributes_changed(&config.attrib);
        if index == QUEUE_DEPTH {
            config.written_queue_depth = config.attrib.queue_depth;
        }
        if index == MODEL_ALIAS {
            // As LIO: the product identification becomes the device's name
            // (cut to 15 characters), or goes back to the backstore's.
            let product = if config.attrib.emulate_model_alias {
                let name = self.dev.name.to_bytes();
                name.get(..name.len().min(MODEL_ALIAS_LEN)).unwrap_or(name)
            } else {
                self.dev.default_product()
            };
            config.wwn.product = Text::new(product);
        }
        Ok(())
    }
}

/// LIO copies at most 15 characters of the name into the product field.
const MODEL_ALIAS_LEN: usize = 15;
const QUEUE_DEPTH: usize = attrib::index_of("queue_depth");
const MODEL_ALIAS: usize = attrib::index_of("emulate_model_alias");

/// LIO's errno for a refused write; the reason goes to the kernel log.
fn refused(name: &str, e: StoreError) -> Error {
    match e {
        StoreError::Parse(ParseError::OutOfRange) => {
            pr_err!("attrib/{}: the value is out of range\n", name);
            ERANGE
        }
        StoreError::Parse(_) => {
            pr_err!("attrib/{}: not a valid value\n", name);
            EINVAL
        }
        StoreError::Invalid(why) => {
            pr_err!("attrib/{}: {}\n", name, why);
            EINVAL
        }
        StoreError::Exported => {
            pr_err!(
                "attrib/{}: cannot change while LUNs export the device\n",
                name
            );
            EINVAL
        }
        StoreError::NotEnabled => {
            pr_err!("attrib/{}: the device is not enabled\n", name);
            ENODEV
        }
        StoreError::NotSupported(why) => {
            pr_err!("attrib/{}: {}\n", name, why);
            ENOSYS
        }
    }
}

/// For each attribute, a module with its show (and store) handlers, which
/// configfs needs as functions of their own; the attribute is found in the
/// table by its name at compile time.
macro_rules! handlers {
    (@show $name:ident) => {
        const INDEX: usize = attrib::index_of(stringify!($name));

        pub(super) fn show(a: &DeviceAttrib, page: &mut Page<'_>) -> Result {
            a.show(INDEX, page)
        }
    };
    (rw: [$($rw:ident),* $(,)?], ro: [$($ro:ident),* $(,)?] $(,)?) => {
        $(
            mod $rw {
                use super::*;
                handlers!(@show $rw);

                pub(super) fn store(a: &DeviceAttrib, input: &[u8]) -> Result {
                    a.store(INDEX, input)
                }
            }
        )*
        $(
            mod $ro {
                use super::*;
                handlers!(@show $ro);
            }
        )*
    };
}

handlers!(
    rw: [
        emulate_model_alias,
        emulate_dpo,
        emulate_fua_write,
        emulate_fua_read,
        emulate_write_cache,
        emulate_ua_intlck_ctrl,
        emulate_tas,
        emulate_tpu,
        emulate_tpws,
        emulate_caw,
        emulate_3pc,
        emulate_pr,
        pi_prot_type,
        pi_prot_format,
        pi_prot_verify,
        enforce_pr_isids,
        is_nonrot,
        emulate_rest_reord,
        force_pr_aptpl,
        block_size,
        optimal_sectors,
        queue_depth,
        max_unmap_lba_count,
        max_unmap_block_desc_count,
        unmap_granularity,
        unmap_granularity_alignment,
        unmap_zeroes_data,
        max_write_same_len,
        alua_support,
        pgr_support,
        emulate_rsoc,
        submit_type,
        complete_type,
    ],
    ro: [
        hw_pi_prot_type,
        hw_block_size,
        hw_max_sectors,
        hw_queue_depth,
        atomic_max_len,
        atomic_alignment,
        atomic_granularity,
        atomic_max_with_boundary,
        atomic_max_boundary,
    ],
);

configfs_node_type! {
    DeviceAttrib {
        children: false,
        attrs: [
            alua_support: rw(alua_support::show, alua_support::store),
            atomic_alignment: ro(atomic_alignment::show),
            atomic_granularity: ro(atomic_granularity::show),
            atomic_max_boundary: ro(atomic_max_boundary::show),
            atomic_max_len: ro(atomic_max_len::show),
            atomic_max_with_boundary: ro(atomic_max_with_boundary::show),
            block_size: rw(block_size::show, block_size::store),
            complete_type: rw(complete_type::show, complete_type::store),
            emulate_3pc: rw(emulate_3pc::show, emulate_3pc::store),
            emulate_caw: rw(emulate_caw::show, emulate_caw::store),
            emulate_dpo: rw(emulate_dpo::show, emulate_dpo::store),
            emulate_fua_read: rw(emulate_fua_read::show, emulate_fua_read::store),
            emulate_fua_write: rw(emulate_fua_write::show, emulate_fua_write::store),
            emulate_model_alias: rw(emulate_model_alias::show, emulate_model_alias::store),
            emulate_pr: rw(emulate_pr::show, emulate_pr::store),
            emulate_rest_reord: rw(emulate_rest_reord::show, emulate_rest_reord::store),
            emulate_rsoc: rw(emulate_rsoc::show, emulate_rsoc::store),
            emulate_tas: rw(emulate_tas::show, emulate_tas::store),
            emulate_tpu: rw(emulate_tpu::show, emulate_tpu::store),
            emulate_tpws: rw(emulate_tpws::show, emulate_tpws::store),
            emulate_ua_intlck_ctrl: rw(emulate_ua_intlck_ctrl::show, emulate_ua_intlck_ctrl::store),
            emulate_write_cache: rw(emulate_write_cache::show, emulate_write_cache::store),
            enforce_pr_isids: rw(enforce_pr_isids::show, enforce_pr_isids::store),
            force_pr_aptpl: rw(force_pr_aptpl::show, force_pr_aptpl::store),
            hw_block_size: ro(hw_block_size::show),
            hw_max_sectors: ro(hw_max_sectors::show),
            hw_pi_prot_type: ro(hw_pi_prot_type::show),
            hw_queue_depth: ro(hw_queue_depth::show),
            is_nonrot: rw(is_nonrot::show, is_nonrot::store),
            max_unmap_block_desc_count: rw(max_unmap_block_desc_count::show, max_unmap_block_desc_count::store),
            max_unmap_lba_count: rw(max_unmap_lba_count::show, max_unmap_lba_count::store),
            max_write_same_len: rw(max_write_same_len::show, max_write_same_len::store),
            optimal_sectors: rw(optimal_sectors::show, optimal_sectors::store),
            pgr_support: rw(pgr_support::show, pgr_support::store),
            pi_prot_format: rw(pi_prot_format::show, pi_prot_format::store),
            pi_prot_type: rw(pi_prot_type::show, pi_prot_type::store),
            pi_prot_verify: rw(pi_prot_verify::show, pi_prot_verify::store),
            queue_depth: rw(queue_depth::show, queue_depth::store),
            submit_type: rw(submit_type::show, submit_type::store),
            unmap_granularity: rw(unmap_granularity::show, unmap_granularity::store),
            unmap_granularity_alignment: rw(unmap_granularity_alignment::show, unmap_granularity_alignment::store),
            unmap_zeroes_data: rw(unmap_zeroes_data::show, unmap_zeroes_data::store),
        ],
    }
}
