/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers whose items tcm_rs_loop binds. bindgen_parameters limits the
 * output to these headers; the rest comes from the kernel's `bindings` crate.
 */
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "loop_host.h"
#include "loop_count.h"
