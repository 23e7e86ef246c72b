// SPDX-License-Identifier: GPL-2.0

//! Parsing of configfs writes: the shared code in proto/src/text.rs.

// The shared file is a library API: each module that compiles it uses part.
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/text.rs"]
mod proto_text;

pub(crate) use proto_text::*;
