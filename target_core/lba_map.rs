// SPDX-License-Identifier: GPL-2.0

//! Reading a device's `lba_map`: the shared code in proto/src/lba_map.rs.

// The shared file is a library API: each module that compiles it uses part.
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/lba_map.rs"]
mod proto_lba_map;

pub(crate) use proto_lba_map::*;
