// SPDX-License-Identifier: GPL-2.0

//! Checks of `wwn/` writes: the shared code in proto/src/inquiry.rs.

// The shared file is a library API: each module that compiles it uses part.
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/inquiry.rs"]
mod proto_inquiry;

pub(crate) use proto_inquiry::*;
