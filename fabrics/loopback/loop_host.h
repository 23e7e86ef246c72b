/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C half of tcm_rs_loop: the SCSI host template (a static structure of
 * function pointers, simplest to state in C) and what Rust cannot call
 * directly because it is static inline in the SCSI headers.
 */
#ifndef TCM_RS_LOOP_HOST_H
#define TCM_RS_LOOP_HOST_H

#include <linux/types.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

/*
 * Adds a SCSI host whose commands go to tcm_rs_loop_queuecommand() with
 * @priv. Returns the host or an ERR_PTR.
 */
struct Scsi_Host *tcm_rs_loop_host_add(void *priv);
/*
 * The workqueue that completes deferred commands: made at module load, destroyed
 * at unload once every host is gone.
 */
int tcm_rs_loop_wq_create(void);
void tcm_rs_loop_wq_destroy(void);
/* Removes the host (its devices first) and drops it. */
void tcm_rs_loop_host_remove(struct Scsi_Host *sh);
/* The host number, as in /sys/class/scsi_host/host<N>. */
unsigned int tcm_rs_loop_host_no(struct Scsi_Host *sh);
/* Adds the SCSI device 0:@id:@lun (scanning it); 0 or -errno. */
int tcm_rs_loop_add_device(struct Scsi_Host *sh, unsigned int id, u64 lun);
/* Removes the SCSI device 0:@id:@lun, if there is one. */
void tcm_rs_loop_remove_device(struct Scsi_Host *sh, unsigned int id, u64 lun);

/*
 * Room in each command's private area for the core's `Command` (Rust
 * checks that it fits), which must outlive queuecommand when the core
 * leaves the command pending (fabric ABI 0.7); since fabric ABI 0.11 it
 * holds the core's room for a pending command's state (320 bytes).
 */
#define TCM_RS_LOOP_CORE_CMD_SIZE 416

/* The core's `Command` of @sc, in its private area (8-byte aligned). */
void *tcm_rs_loop_core_cmd(struct scsi_cmnd *sc);
/* The command whose private area holds @core_cmd. */
struct scsi_cmnd *tcm_rs_loop_cmd_of_core(void *core_cmd);
/* A pointer-sized slot in @sc's private area for the Rust half. */
void **tcm_rs_loop_cmd_slot(struct scsi_cmnd *sc);

/* What the Rust half needs of a command, read with the C compiler's layout. */
struct tcm_rs_loop_cmd_fields {
	const u8 *cdb;
	struct scatterlist *sgl;
	u8 *sense;
	u64 lun;
	unsigned int id;
	unsigned int cdb_len;
	unsigned int sg_nents;
	unsigned int data_len;
	unsigned int sense_cap;
	/* enum dma_data_direction */
	int direction;
};

void tcm_rs_loop_cmd_fields(struct scsi_cmnd *sc,
			    struct tcm_rs_loop_cmd_fields *f);

/* The error handler's functions, for tcm_rs_loop_error_handler(). */
enum {
	TCM_RS_LOOP_EH_ABORT = 1,
	TCM_RS_LOOP_EH_LUN_RESET = 2,
	TCM_RS_LOOP_EH_TARGET_RESET = 3,
	TCM_RS_LOOP_EH_HOST_RESET = 4,
};

/*
 * Implemented in Rust: performs error handler function @function for
 * LUN @lun of target @id once the target's commands have finished (a host
 * reset: every target's); 0 when it succeeded, -errno otherwise. May
 * sleep.
 */
int tcm_rs_loop_error_handler(void *priv, unsigned int id, u64 lun, int function);

/*
 * Implemented in Rust: what the device linked to LUN @lun of target @id
 * asks of the LUN's queue: @queue_depth commands at once, and at most
 * @max_hw_sectors 512-byte sectors per command. 0, or -ENODEV if no
 * device is linked there (the midlayer's defaults then stay).
 */
int tcm_rs_loop_lun_limits(void *priv, unsigned int id, u64 lun,
			   unsigned int *queue_depth, unsigned int *max_hw_sectors);

/*
 * Implemented in Rust: runs @sc and completes it, or hands it to
 * tcm_rs_loop_defer() when the core defers it; returns 0.
 */
int tcm_rs_loop_queuecommand(void *priv, struct scsi_cmnd *sc);
/*
 * Runs @sc from the submission workqueue: tcm_rs_loop_run_deferred(), in
 * Rust, runs it to completion there.
 */
void tcm_rs_loop_defer(struct scsi_cmnd *sc);
void tcm_rs_loop_run_deferred(void *priv, struct scsi_cmnd *sc);

/*
 * Completes @sc with SAM @status, host byte @host_byte and residual @resid
 * (bytes not transferred): in this context, or from the workqueue when
 * @complete_type is 2 (the device's attrib/complete_type), or when it is 0
 * and the module's submit_type is 2.
 */
void tcm_rs_loop_complete(struct scsi_cmnd *sc, u8 status, u8 host_byte,
			  unsigned int resid, u8 complete_type);

/* Whether commands a device leaves to the fabric complete from the workqueue (submit_type 2). */
bool tcm_rs_loop_completes_queued(void);

#endif /* TCM_RS_LOOP_HOST_H */
