// SPDX-License-Identifier: GPL-2.0

//! Pure SCSI protocol logic shared by the tcm-rs kernel modules and the host.
//!
//! Every file under `src/` is written against `core` only: no allocation, no
//! kernel types, no panics on any input. The kernel modules compile the same
//! files with `#[path]` (see target_core/sense.rs); on the host this crate
//! gives them unit tests, property tests and fuzz targets.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod alua;
pub mod attrib;
pub mod control;
pub mod inquiry;
pub mod lba_map;
pub mod sense;
pub mod text;
