// SPDX-License-Identifier: GPL-2.0

//! ALUA target port group settings and checks: the shared code in
//! proto/src/alua.rs.

// The shared file is a library API: each module that compiles it uses part.
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/alua.rs"]
mod proto_alua;

pub(crate) use proto_alua::*;
