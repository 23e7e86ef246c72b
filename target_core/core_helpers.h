/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of tcm_rs_core: static inline functions and macros of the SCSI
 * and socket headers, given a symbol so that Rust can call them, plus the C
 * compiler's view of the layouts that Rust uses (checked by the KUnit suite,
 * because bindgen computes layouts with libclang while the kernel was
 * compiled by GCC).
 */
#ifndef TCM_RS_CORE_HELPERS_H
#define TCM_RS_CORE_HELPERS_H

/*
 * Full declarations, not forward ones: a type first declared here would be
 * generated as a second, opaque type next to the kernel's own.
 */
#include <linux/configfs.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <scsi/scsi_cmnd.h>

unsigned int tcm_rs_scsi_bufflen(struct scsi_cmnd *cmd);
struct scatterlist *tcm_rs_scsi_sglist(struct scsi_cmnd *cmd);
unsigned int tcm_rs_scsi_sg_count(struct scsi_cmnd *cmd);
void tcm_rs_scsi_set_resid(struct scsi_cmnd *cmd, unsigned int resid);
unsigned int tcm_rs_scsi_get_resid(struct scsi_cmnd *cmd);
void *tcm_rs_scsi_cmd_priv(struct scsi_cmnd *cmd);

/* configfs_add_default_group() is static inline. */
void tcm_rs_configfs_add_default_group(struct config_group *new_group,
				       struct config_group *group);

/* 0 if @name is an existing directory (symlinks followed), else -errno. */
int tcm_rs_path_is_dir(const char *name);

/*
 * Replaces file @name in directory @dir with @len bytes of @buf, atomically:
 * writes them to @tmp_name in the same directory (created 0600, truncated),
 * fsyncs it, renames it over @name and fsyncs the directory. A failure at
 * any step leaves @name as it was (a @tmp_name may be left behind). Paths
 * are resolved from init's root, not the caller's (as LIO's APTPL writes).
 * 0 or -errno.
 */
int tcm_rs_replace_file(const char *dir, const char *name, const char *tmp_name,
			const void *buf, size_t len);

/* Fields of the caller's utsname(), which the target's version string shows. */
const char *tcm_rs_uts_sysname(void);
const char *tcm_rs_uts_machine(void);
const char *tcm_rs_uts_release(void);

/* get_jiffies_64(), for the creation time of a device. */
u64 tcm_rs_get_jiffies_64(void);
/*
 * A jiffies value as the SCSI MIB's scsiLuCreationTime: hundredths of a
 * second since boot, with the arithmetic LIO uses (wrapping as it does).
 */
u32 tcm_rs_mib_time(u64 jiffies);

/*
 * memalloc_noio_save() and memalloc_noio_restore(), which are inline: the
 * task's allocations in between never reclaim through I/O.
 */
unsigned int tcm_rs_noio_save(void);
void tcm_rs_noio_restore(unsigned int flags);
/* Whether the task's allocations are GFP_NOIO now (current_gfp_context()). */
bool tcm_rs_noio_active(void);

/* Loads the module of backstore @name (alias tcm_rs_backstore_<name>). */
int tcm_rs_request_backstore(const char *name);

/* Loads the module of fabric @name (alias tcm_rs_fabric_<name>). */
int tcm_rs_request_fabric(const char *name);

/* Whether @cpu is a possible CPU id that is online (cpu_online() is a macro). */
bool tcm_rs_cpu_is_online(int cpu);

/*
 * Per-CPU counters: @n u64 counters per possible CPU, zeroed (NULL when out
 * of memory). Adding touches only the current CPU's copy, as LIO's per-CPU
 * statistics; a sum reads every possible CPU's copy. The pointer is opaque
 * to Rust (a __percpu address is not a plain pointer).
 */
void *tcm_rs_percpu_counters_alloc(unsigned int n);
void tcm_rs_percpu_counters_add(void *counters, unsigned int i, u64 value);
u64 tcm_rs_percpu_counters_sum(void *counters, unsigned int i);
void tcm_rs_percpu_counters_free(void *counters);

/*
 * The completion workqueue of reads and writes that a backstore ends
 * asynchronously (async_rw.rs): per CPU, WQ_MEM_RECLAIM (the initiator's
 * writeback may depend on it), high priority. Made at module load (0 or
 * -ENOMEM), destroyed (drained) at unload.
 */
int tcm_rs_completion_wq_create(void);
void tcm_rs_completion_wq_destroy(void);
/*
 * Initialises @work and queues it on the completion workqueue, on this CPU,
 * to run tcm_rs_rw_complete_work(@work). Any context: hard interrupts too.
 */
void tcm_rs_completion_queue(struct work_struct *work);
/* Implemented in Rust (async_rw.rs). */
void tcm_rs_rw_complete_work(struct work_struct *work);

/*
 * The submission workqueue of commands the core runs later
 * (queued_command.rs): those that waited in their device's task set, and
 * those a fabric asks the core to queue. Per CPU, WQ_MEM_RECLAIM, high
 * priority. Made at module load (0 or -ENOMEM), destroyed (drained) at
 * unload.
 */
int tcm_rs_submit_wq_create(void);
void tcm_rs_submit_wq_destroy(void);
/*
 * Initialises @work and queues it on the submission workqueue, on this
 * CPU, to run tcm_rs_queued_command_work(@work). Any context.
 */
void tcm_rs_submit_queue(struct work_struct *work);
/* Implemented in Rust (queued_command.rs). */
void tcm_rs_queued_command_work(struct work_struct *work);

/* try_module_get() is static inline. */
bool tcm_rs_try_module_get(struct module *module);

/* Layout of a C type as GCC sees it: identifies a type or a field. */
enum tcm_rs_layout_item {
	TCM_RS_SIZEOF_SCSI_CMND,
	TCM_RS_SIZEOF_SCSI_HOST,
	TCM_RS_SIZEOF_SCSI_HOST_TEMPLATE,
	TCM_RS_SIZEOF_SCSI_DEVICE,
	TCM_RS_SIZEOF_SOCKET,
	TCM_RS_OFFSETOF_SCSI_CMND_CMND,
	TCM_RS_OFFSETOF_SCSI_CMND_SDB,
	TCM_RS_OFFSETOF_SCSI_CMND_SENSE_BUFFER,
	TCM_RS_OFFSETOF_SCSI_CMND_RESULT,
	TCM_RS_OFFSETOF_SCSI_HOST_CAN_QUEUE,
	TCM_RS_OFFSETOF_SCSI_HOST_TEMPLATE_QUEUECOMMAND,
	TCM_RS_OFFSETOF_SOCKET_SK,
	TCM_RS_LAYOUT_ITEMS,
};

/* Returns the size or offset named by @item, or 0 for an unknown item. */
size_t tcm_rs_c_layout(enum tcm_rs_layout_item item);

#endif /* TCM_RS_CORE_HELPERS_H */
