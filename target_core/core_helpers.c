// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of tcm_rs_core; see core_helpers.h.
 */
#include <linux/configfs.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mount.h>
#include <linux/jiffies.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/utsname.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "core_helpers.h"

unsigned int tcm_rs_scsi_bufflen(struct scsi_cmnd *cmd)
{
	return scsi_bufflen(cmd);
}

struct scatterlist *tcm_rs_scsi_sglist(struct scsi_cmnd *cmd)
{
	return scsi_sglist(cmd);
}

unsigned int tcm_rs_scsi_sg_count(struct scsi_cmnd *cmd)
{
	return scsi_sg_count(cmd);
}

void tcm_rs_scsi_set_resid(struct scsi_cmnd *cmd, unsigned int resid)
{
	scsi_set_resid(cmd, resid);
}

unsigned int tcm_rs_scsi_get_resid(struct scsi_cmnd *cmd)
{
	return scsi_get_resid(cmd);
}

void *tcm_rs_scsi_cmd_priv(struct scsi_cmnd *cmd)
{
	return scsi_cmd_priv(cmd);
}

void tcm_rs_configfs_add_default_group(struct config_group *new_group,
				       struct config_group *group)
{
	configfs_add_default_group(new_group, group);
}

int tcm_rs_path_is_dir(const char *name)
{
	struct path path;
	int ret;

	ret = kern_path(name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &path);
	if (ret)
		return ret;
	path_put(&path);
	return 0;
}

static int tcm_rs_write_synced(const char *path, const void *buf, size_t len)
{
	struct file *file;
	loff_t pos = 0;
	ssize_t n;
	int ret;

	file = filp_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (IS_ERR(file))
		return PTR_ERR(file);
	n = kernel_write(file, buf, len, &pos);
	if (n < 0)
		ret = n;
	else if (n != len)
		ret = -EIO;
	else
		ret = vfs_fsync(file, 0);
	fput(file);
	return ret;
}

static int tcm_rs_rename_in(const struct path *dir, const char *from, const char *to)
{
	struct renamedata rd = {
		.mnt_idmap = mnt_idmap(dir->mnt),
		.old_parent = dir->dentry,
		.new_parent = dir->dentry,
	};
	struct qstr old_last = QSTR(from), new_last = QSTR(to);
	int ret;

	ret = mnt_want_write(dir->mnt);
	if (ret)
		return ret;
	ret = start_renaming(&rd, 0, &old_last, &new_last);
	if (!ret) {
		ret = vfs_rename(&rd);
		end_renaming(&rd);
	}
	mnt_drop_write(dir->mnt);
	return ret;
}

int tcm_rs_replace_file(const char *dir, const char *name, const char *tmp_name,
			const void *buf, size_t len)
{
	struct path parent;
	struct file *d;
	char *tmp_path;
	int ret;

	tmp_path = kasprintf(GFP_KERNEL, "%s/%s", dir, tmp_name);
	if (!tmp_path)
		return -ENOMEM;
	scoped_with_init_fs() {
		ret = kern_path(dir, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &parent);
		if (!ret) {
			ret = tcm_rs_write_synced(tmp_path, buf, len);
			if (!ret)
				ret = tcm_rs_rename_in(&parent, tmp_name, name);
			if (!ret) {
				/* The rename itself reaches the disk. */
				d = dentry_open(&parent, O_RDONLY | O_DIRECTORY,
						current_cred());
				if (IS_ERR(d)) {
					ret = PTR_ERR(d);
				} else {
					ret = vfs_fsync(d, 0);
					fput(d);
				}
			}
			path_put(&parent);
		}
	}
	kfree(tmp_path);
	return ret;
}

const char *tcm_rs_uts_sysname(void)
{
	return utsname()->sysname;
}

const char *tcm_rs_uts_machine(void)
{
	return utsname()->machine;
}

const char *tcm_rs_uts_release(void)
{
	return utsname()->release;
}

u64 tcm_rs_get_jiffies_64(void)
{
	return get_jiffies_64();
}

void *tcm_rs_percpu_counters_alloc(unsigned int n)
{
	/* Zeroed, as every per-CPU allocation. */
	return (void __force *)__alloc_percpu(array_size(n, sizeof(u64)),
					      __alignof__(u64));
}

void tcm_rs_percpu_counters_add(void *counters, unsigned int i, u64 value)
{
	u64 __percpu *c = (u64 __percpu __force *)counters;

	this_cpu_add(c[i], value);
}

u64 tcm_rs_percpu_counters_sum(void *counters, unsigned int i)
{
	u64 __percpu *c = (u64 __percpu __force *)counters;
	unsigned int cpu;
	u64 sum = 0;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(&c[i], cpu);
	return sum;
}

void tcm_rs_percpu_counters_free(void *counters)
{
	free_percpu((u64 __percpu __force *)counters);
}

u32 tcm_rs_mib_time(u64 jiffies)
{
	/* INITIAL_JIFFIES is an unsigned long: the sum wraps at 64 bits. */
	return (u32)(((u32)jiffies - INITIAL_JIFFIES) * 100 / HZ);
}

unsigned int tcm_rs_noio_save(void)
{
	return memalloc_noio_save();
}

void tcm_rs_noio_restore(unsigned int flags)
{
	memalloc_noio_restore(flags);
}

bool tcm_rs_noio_active(void)
{
	return !(current_gfp_context(GFP_KERNEL) & __GFP_IO);
}

int tcm_rs_request_backstore(const char *name)
{
	return request_module("tcm_rs_backstore_%s", name);
}

int tcm_rs_request_fabric(const char *name)
{
	return request_module("tcm_rs_fabric_%s", name);
}

bool tcm_rs_cpu_is_online(int cpu)
{
	return cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu);
}

bool tcm_rs_try_module_get(struct module *module)
{
	return try_module_get(module);
}

size_t tcm_rs_c_layout(enum tcm_rs_layout_item item)
{
	switch (item) {
	case TCM_RS_SIZEOF_SCSI_CMND:
		return sizeof(struct scsi_cmnd);
	case TCM_RS_SIZEOF_SCSI_HOST:
		return sizeof(struct Scsi_Host);
	case TCM_RS_SIZEOF_SCSI_HOST_TEMPLATE:
		return sizeof(struct scsi_host_template);
	case TCM_RS_SIZEOF_SCSI_DEVICE:
		return sizeof(struct scsi_device);
	case TCM_RS_SIZEOF_SOCKET:
		return sizeof(struct socket);
	case TCM_RS_OFFSETOF_SCSI_CMND_CMND:
		return offsetof(struct scsi_cmnd, cmnd);
	case TCM_RS_OFFSETOF_SCSI_CMND_SDB:
		return offsetof(struct scsi_cmnd, sdb);
	case TCM_RS_OFFSETOF_SCSI_CMND_SENSE_BUFFER:
		return offsetof(struct scsi_cmnd, sense_buffer);
	case TCM_RS_OFFSETOF_SCSI_CMND_RESULT:
		return offsetof(struct scsi_cmnd, result);
	case TCM_RS_OFFSETOF_SCSI_HOST_CAN_QUEUE:
		return offsetof(struct Scsi_Host, can_queue);
	case TCM_RS_OFFSETOF_SCSI_HOST_TEMPLATE_QUEUECOMMAND:
		return offsetof(struct scsi_host_template, queuecommand);
	case TCM_RS_OFFSETOF_SOCKET_SK:
		return offsetof(struct socket, sk);
	case TCM_RS_LAYOUT_ITEMS:
		break;
	}
	return 0;
}

static struct workqueue_struct *tcm_rs_completion_wq;

int tcm_rs_completion_wq_create(void)
{
	tcm_rs_completion_wq = alloc_workqueue("tcm_rs_complete",
					       WQ_PERCPU | WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	return tcm_rs_completion_wq ? 0 : -ENOMEM;
}

void tcm_rs_completion_wq_destroy(void)
{
	destroy_workqueue(tcm_rs_completion_wq);
}

/* Both workers enter the core: its allocations never reclaim through I/O (noio.rs). */
static void tcm_rs_completion_work_fn(struct work_struct *work)
{
	unsigned int noio = memalloc_noio_save();

	tcm_rs_rw_complete_work(work);
	memalloc_noio_restore(noio);
}

void tcm_rs_completion_queue(struct work_struct *work)
{
	INIT_WORK(work, tcm_rs_completion_work_fn);
	queue_work(tcm_rs_completion_wq, work);
}

static struct workqueue_struct *tcm_rs_submit_wq;

int tcm_rs_submit_wq_create(void)
{
	tcm_rs_submit_wq = alloc_workqueue("tcm_rs_submit",
					   WQ_PERCPU | WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	return tcm_rs_submit_wq ? 0 : -ENOMEM;
}

void tcm_rs_submit_wq_destroy(void)
{
	destroy_workqueue(tcm_rs_submit_wq);
}

static void tcm_rs_submit_work_fn(struct work_struct *work)
{
	unsigned int noio = memalloc_noio_save();

	tcm_rs_queued_command_work(work);
	memalloc_noio_restore(noio);
}

void tcm_rs_submit_queue(struct work_struct *work)
{
	INIT_WORK(work, tcm_rs_submit_work_fn);
	queue_work(tcm_rs_submit_wq, work);
}
