// SPDX-License-Identifier: GPL-2.0

//! A device's SCSI attributes and their checks: the shared code in
//! proto/src/attrib.rs.

// The shared file is a library API: each module that compiles it uses part.
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/attrib.rs"]
mod proto_attrib;

pub(crate) use proto_attrib::*;
