// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of tcm_rs_loop; see loop_host.h. Commands are executed by the
 * Rust half in the context that queues them: queuecommand_may_block lets
 * it sleep there, so a command needs no workqueue hop. A command the core
 * leaves pending (an iblock read or write in flight) is completed later
 * from the core's completion workqueue, with the core's `Command` kept in
 * its private area meanwhile.
 */
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "loop_host.h"

/*
 * Commands in flight per host, as LIO's tcm_loop; a LUN's own depth is its
 * device's attrib/queue_depth (tcm_rs_loop_sdev_configure).
 */
#define TCM_RS_LOOP_CAN_QUEUE 1024
/* TPGs per WWN: the target ids of the host. */
#define TCM_RS_LOOP_TARGETS 32

/*
 * Where a command completes when its device's attrib/complete_type leaves
 * it to the fabric (0), with LIO's values: 0 and 1, in the context that
 * queued it, right after it ran there (the default: no context switch at
 * all); 2, from a workqueue, as LIO's tcm_loop does, so that the submitter
 * goes on while another CPU completes.
 */
static int submit_type;
module_param(submit_type, int, 0644);
MODULE_PARM_DESC(submit_type,
		 "0 or 1: complete in the submitting context (default), 2: complete from a workqueue");

/*
 * Hardware queues per host: 0 (the default) gives one per possible CPU,
 * sharing the host's can_queue tags (host_tagset). With one queue per CPU
 * a command that completes on the CPU that queued it is completed right
 * there by blk-mq; with a single queue shared by several CPUs, blk-mq
 * defers every completion to the block softirq, which from a
 * queuecommand that completes in place means waking ksoftirqd, a context
 * switch per command. Read when a loopback target (its host) is made.
 */
static unsigned int nr_hw_queues;
module_param(nr_hw_queues, uint, 0644);
MODULE_PARM_DESC(nr_hw_queues,
		 "hardware queues of each new host: 0 (default) one per CPU, else that many");

static struct workqueue_struct *tcm_rs_loop_wq;

/*
 * A command's private area: the work that runs or completes it when
 * deferred, the Rust half's slot (the TPG a pending command holds), and
 * the core's `Command`.
 */
struct tcm_rs_loop_cmd {
	struct work_struct work;
	void *slot;
	u64 core_cmd[TCM_RS_LOOP_CORE_CMD_SIZE / sizeof(u64)];
};

void *tcm_rs_loop_core_cmd(struct scsi_cmnd *sc)
{
	struct tcm_rs_loop_cmd *c = scsi_cmd_priv(sc);

	return c->core_cmd;
}

struct scsi_cmnd *tcm_rs_loop_cmd_of_core(void *core_cmd)
{
	struct tcm_rs_loop_cmd *c = container_of(core_cmd, struct tcm_rs_loop_cmd, core_cmd);

	/* The private area follows the command (scsi_cmd_priv()). */
	return (struct scsi_cmnd *)c - 1;
}

void **tcm_rs_loop_cmd_slot(struct scsi_cmnd *sc)
{
	struct tcm_rs_loop_cmd *c = scsi_cmd_priv(sc);

	return &c->slot;
}

/*
 * Runs the commands the core defers (queued submission: a device whose
 * backstore sleeps for I/O, or attrib/submit_type 2), so that the
 * submitter goes on queueing while they run. Bound to the CPU that queued
 * them, where blk-mq completes them without an interrupt of another CPU;
 * when one sleeps for its I/O the workqueue starts the next on another
 * worker, so they run side by side.
 */
static struct workqueue_struct *tcm_rs_loop_submit_wq;

static void tcm_rs_loop_submit_work(struct work_struct *work)
{
	struct tcm_rs_loop_cmd *c = container_of(work, struct tcm_rs_loop_cmd, work);
	/* The private area follows the command (scsi_cmd_priv()). */
	struct scsi_cmnd *sc = (struct scsi_cmnd *)c - 1;
	/* As in tcm_rs_loop_queue(): no allocation reclaims through I/O. */
	unsigned int noio = memalloc_noio_save();

	tcm_rs_loop_run_deferred(*(void **)shost_priv(sc->device->host), sc);
	memalloc_noio_restore(noio);
}

void tcm_rs_loop_defer(struct scsi_cmnd *sc)
{
	struct tcm_rs_loop_cmd *c = scsi_cmd_priv(sc);

	INIT_WORK(&c->work, tcm_rs_loop_submit_work);
	queue_work(tcm_rs_loop_submit_wq, &c->work);
}

static void tcm_rs_loop_done_work(struct work_struct *work)
{
	struct tcm_rs_loop_cmd *c = container_of(work, struct tcm_rs_loop_cmd, work);
	/* The private area follows the command (scsi_cmd_priv()). */
	struct scsi_cmnd *sc = (struct scsi_cmnd *)c - 1;

	scsi_done(sc);
}

bool tcm_rs_loop_completes_queued(void)
{
	return READ_ONCE(submit_type) == 2;
}

static enum scsi_qc_status tcm_rs_loop_queue(struct Scsi_Host *sh,
					     struct scsi_cmnd *sc)
{
	unsigned int noio;

	/*
	 * The Rust half runs and completes every command it is given, here,
	 * inside the initiator's bio submission and its queue's usage count:
	 * an allocation that reclaimed through I/O could wait for writeback
	 * to this very disk, or for its queue to unfreeze. The core keeps the
	 * rule for itself (target_core/noio.rs); this scope covers the
	 * fabric's own allocations and the midlayer's, here and in the
	 * submission worker, as loop.c's workers do.
	 */
	noio = memalloc_noio_save();
	tcm_rs_loop_queuecommand(*(void **)shost_priv(sh), sc);
	memalloc_noio_restore(noio);
	return 0;
}

int tcm_rs_loop_wq_create(void)
{
	/*
	 * WQ_MEM_RECLAIM on both: they carry a disk's I/O (writeback may be
	 * what frees memory), and the SCSI error handler, itself on a
	 * reclaim workqueue, flushes them.
	 */
	tcm_rs_loop_wq = alloc_workqueue("tcm_rs_loop", WQ_UNBOUND | WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!tcm_rs_loop_wq)
		return -ENOMEM;
	tcm_rs_loop_submit_wq = alloc_workqueue("tcm_rs_loop_submit", WQ_PERCPU | WQ_MEM_RECLAIM, 0);
	if (!tcm_rs_loop_submit_wq) {
		destroy_workqueue(tcm_rs_loop_wq);
		return -ENOMEM;
	}
	return 0;
}

void tcm_rs_loop_wq_destroy(void)
{
	destroy_workqueue(tcm_rs_loop_submit_wq);
	destroy_workqueue(tcm_rs_loop_wq);
}

/*
 * The SCSI error handler's callbacks. The midlayer calls them once the
 * commands concerned have timed out or finished; a command may still be
 * running in the Rust half (it executes in queuecommand's context), which
 * waits for the TPG's commands to end and then asks the core for what the
 * function resets. A completion queued on the workqueue must also have
 * run before the midlayer reuses the command: hence the flush.
 */
static int tcm_rs_loop_eh(struct scsi_cmnd *sc, int function)
{
	struct scsi_device *sdev = sc->device;
	int ret;

	/* Commands whose submission was queued run (or fail) before the reset. */
	flush_workqueue(tcm_rs_loop_submit_wq);
	ret = tcm_rs_loop_error_handler(*(void **)shost_priv(sdev->host), sdev->id,
					sdev->lun, function);
	flush_workqueue(tcm_rs_loop_wq);
	return ret ? FAILED : SUCCESS;
}

static int tcm_rs_loop_eh_abort(struct scsi_cmnd *sc)
{
	return tcm_rs_loop_eh(sc, TCM_RS_LOOP_EH_ABORT);
}

static int tcm_rs_loop_eh_device_reset(struct scsi_cmnd *sc)
{
	return tcm_rs_loop_eh(sc, TCM_RS_LOOP_EH_LUN_RESET);
}

static int tcm_rs_loop_eh_target_reset(struct scsi_cmnd *sc)
{
	return tcm_rs_loop_eh(sc, TCM_RS_LOOP_EH_TARGET_RESET);
}

static int tcm_rs_loop_eh_host_reset(struct scsi_cmnd *sc)
{
	return tcm_rs_loop_eh(sc, TCM_RS_LOOP_EH_HOST_RESET);
}

/*
 * A LUN's queue follows its device (LIO's tcm_loop keeps the host's 1024
 * and 0xFFFF sectors for every LUN): as many commands at once as the
 * device's attrib/queue_depth, as large as its attrib/hw_max_sectors. The
 * device cannot change them while the LUN is linked. Called when the
 * midlayer scans the LUN, after INQUIRY.
 */
static int tcm_rs_loop_sdev_configure(struct scsi_device *sdev,
				      struct queue_limits *lim)
{
	unsigned int depth, max_hw_sectors;

	if (tcm_rs_loop_lun_limits(*(void **)shost_priv(sdev->host), sdev->id,
				   sdev->lun, &depth, &max_hw_sectors))
		return 0;
	if (depth)
		scsi_change_queue_depth(sdev, min_t(unsigned int, depth,
						    sdev->host->can_queue));
	/* The block layer needs at least a page per command. */
	if (max_hw_sectors >= PAGE_SECTORS)
		lim->max_hw_sectors = min(lim->max_hw_sectors, max_hw_sectors);
	return 0;
}

static const struct scsi_host_template tcm_rs_loop_template = {
	.proc_name		= "tcm_rs_loop",
	.name			= "tcm-rs loopback",
	.queuecommand		= tcm_rs_loop_queue,
	.eh_abort_handler	= tcm_rs_loop_eh_abort,
	.eh_device_reset_handler = tcm_rs_loop_eh_device_reset,
	.eh_target_reset_handler = tcm_rs_loop_eh_target_reset,
	.eh_host_reset_handler	= tcm_rs_loop_eh_host_reset,
	/* No bus to settle after a reset: its commands are already done. */
	.skip_settle_delay	= 1,
	.change_queue_depth	= scsi_change_queue_depth,
	.sdev_configure		= tcm_rs_loop_sdev_configure,
	.can_queue		= TCM_RS_LOOP_CAN_QUEUE,
	.cmd_per_lun		= TCM_RS_LOOP_CAN_QUEUE,
	.this_id		= -1,
	.sg_tablesize		= 256,
	.max_sectors		= 0xFFFF,
	.dma_boundary		= PAGE_SIZE - 1,
	.module			= THIS_MODULE,
	.track_queue_depth	= 1,
	.queuecommand_may_block	= 1,
	/* can_queue is the host's, whatever its number of queues. */
	.host_tagset		= 1,
	.cmd_size		= sizeof(struct tcm_rs_loop_cmd),
};

struct Scsi_Host *tcm_rs_loop_host_add(void *priv)
{
	struct Scsi_Host *sh;
	int err;

	sh = scsi_host_alloc(&tcm_rs_loop_template, sizeof(void *));
	if (!sh)
		return ERR_PTR(-ENOMEM);
	*(void **)shost_priv(sh) = priv;
	sh->max_id = TCM_RS_LOOP_TARGETS;
	sh->max_channel = 0;
	/* LUNs are added one by one as they are linked, never scanned. */
	sh->max_lun = U64_MAX;
	/* The target is SPC-4: LUNs are addressed, never put in the CDB. */
	sh->no_scsi2_lun_in_cdb = 1;
	sh->max_cmd_len = 32;
	sh->nr_hw_queues = READ_ONCE(nr_hw_queues) ?: num_possible_cpus();
	err = scsi_add_host(sh, NULL);
	if (err) {
		scsi_host_put(sh);
		return ERR_PTR(err);
	}
	return sh;
}

void tcm_rs_loop_host_remove(struct Scsi_Host *sh)
{
	scsi_remove_host(sh);
	scsi_host_put(sh);
}

unsigned int tcm_rs_loop_host_no(struct Scsi_Host *sh)
{
	return sh->host_no;
}

int tcm_rs_loop_add_device(struct Scsi_Host *sh, unsigned int id, u64 lun)
{
	return scsi_add_device(sh, 0, id, lun);
}

void tcm_rs_loop_remove_device(struct Scsi_Host *sh, unsigned int id, u64 lun)
{
	struct scsi_device *sd = scsi_device_lookup(sh, 0, id, lun);

	if (sd) {
		scsi_remove_device(sd);
		scsi_device_put(sd);
	}
}

void tcm_rs_loop_cmd_fields(struct scsi_cmnd *sc,
			    struct tcm_rs_loop_cmd_fields *f)
{
	f->cdb = sc->cmnd;
	f->cdb_len = sc->cmd_len;
	f->sgl = scsi_sglist(sc);
	f->sg_nents = scsi_sg_count(sc);
	f->data_len = scsi_bufflen(sc);
	f->sense = sc->sense_buffer;
	f->sense_cap = SCSI_SENSE_BUFFERSIZE;
	f->id = sc->device->id;
	f->lun = sc->device->lun;
	f->direction = sc->sc_data_direction;
}

void tcm_rs_loop_complete(struct scsi_cmnd *sc, u8 status, u8 host_byte,
			  unsigned int resid, u8 complete_type)
{
	sc->result = status;
	set_host_byte(sc, host_byte);
	scsi_set_resid(sc, resid);
	if (complete_type == 2 ||
	    (complete_type == 0 && READ_ONCE(submit_type) == 2)) {
		struct tcm_rs_loop_cmd *c = scsi_cmd_priv(sc);

		INIT_WORK(&c->work, tcm_rs_loop_done_work);
		queue_work(tcm_rs_loop_wq, &c->work);
		return;
	}
	scsi_done(sc);
}
