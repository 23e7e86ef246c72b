/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers whose items tcm_rs_core binds. bindgen_parameters limits the
 * output to these headers; the rest comes from the kernel's `bindings` crate.
 */
#include <linux/net.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_common.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_proto.h>
#include <scsi/scsi_status.h>

#include "core_helpers.h"
