// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of tcm_rs_fileio; see fileio_file.h.
 */
#include <linux/bvec.h>
#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/fsnotify.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/path.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "fileio_file.h"

/* Entries of a command's scatterlist described on the stack. */
#define TCM_RS_FILE_STACK_BVECS 8

/*
 * How long after a write made in place the file's modification time is
 * brought up to date (tcm_rs_file_modified_fn): at most one update per
 * period, however many writes.
 */
#define TCM_RS_FILE_MODIFIED_DELAY msecs_to_jiffies(10)

/* An open backing file: what tcm_rs_file_open makes. */
struct tcm_rs_file {
	struct file *f;
	/*
	 * What a write made in place (tcm_rs_file_write_shmem) leaves to be
	 * done where one may sleep: the modification time and the fsnotify
	 * event that the VFS's own write gives.
	 */
	struct delayed_work modified;
	/*
	 * jiffies when a read made in place last brought the access time up
	 * to date (tcm_rs_file_read_shmem): once a tick is enough, and
	 * checking costs a read a tenth of its time.
	 */
	unsigned long accessed;
};

/*
 * Runs the I/O of commands that arrive inside a bio submission (see
 * tcm_rs_file_rw), and the time updates that writes made in place owe
 * (tcm_rs_file_modified_fn). WQ_MEM_RECLAIM: the initiator may be writing
 * back pages to free memory.
 */
static struct workqueue_struct *tcm_rs_file_wq;

/*
 * Runs the reads and writes that tcm_rs_file_rw_async leaves in flight:
 * per CPU, so that the command completes on the CPU that queued it (where
 * blk-mq completes the initiator's request in place); WQ_MEM_RECLAIM as
 * above.
 */
static struct workqueue_struct *tcm_rs_file_async_wq;

int tcm_rs_file_wq_create(void)
{
	tcm_rs_file_wq = alloc_workqueue("tcm_rs_fileio", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!tcm_rs_file_wq)
		return -ENOMEM;
	tcm_rs_file_async_wq = alloc_workqueue("tcm_rs_fileio_rw", WQ_PERCPU | WQ_MEM_RECLAIM, 0);
	if (!tcm_rs_file_async_wq) {
		destroy_workqueue(tcm_rs_file_wq);
		return -ENOMEM;
	}
	return 0;
}

void tcm_rs_file_wq_destroy(void)
{
	destroy_workqueue(tcm_rs_file_async_wq);
	destroy_workqueue(tcm_rs_file_wq);
}

/* A block device opened by the workqueue for tcm_rs_file_open. */
struct tcm_rs_file_open_work {
	struct work_struct work;
	struct completion done;
	const struct path *path;
	int flags;
	const struct cred *cred;
	struct file *f;
};

static void tcm_rs_file_open_fn(struct work_struct *work)
{
	struct tcm_rs_file_open_work *w =
		container_of(work, struct tcm_rs_file_open_work, work);

	w->f = dentry_open(w->path, w->flags, w->cred);
	complete(&w->done);
}

/*
 * Opens the block device at @p, as the caller (@p was looked up in its
 * namespace, @flags and its credentials apply), on the workqueue.
 *
 * The core calls enable under the device's lock, a lock it also takes to
 * execute commands, under the block layer's locks of the initiator's disk;
 * opening a block device takes its open_mutex, which comes before those
 * same block layer locks. Lockdep sees one lock class for every device of
 * the core, so the open, made under the lock, closes a cycle. There is no
 * real one: commands reach a device only once it is enabled, so the disk
 * being opened never waits for the device being enabled. Opening outside
 * the task that holds the lock says so.
 */
static struct file *tcm_rs_file_open_bdev(const struct path *p, int flags)
{
	struct tcm_rs_file_open_work w;

	INIT_WORK_ONSTACK(&w.work, tcm_rs_file_open_fn);
	init_completion(&w.done);
	w.path = p;
	w.flags = flags;
	w.cred = current_cred();
	queue_work(tcm_rs_file_wq, &w.work);
	wait_for_completion(&w.done);
	destroy_work_on_stack(&w.work);
	return w.f;
}

static void tcm_rs_file_modified_fn(struct work_struct *work);

int tcm_rs_file_open(const char *path, bool buffered, struct tcm_rs_file **out)
{
	int flags = O_RDWR | O_CREAT | O_LARGEFILE | O_DSYNC;
	struct tcm_rs_file *tf;
	struct file *f = NULL;
	struct path p;

	if (buffered)
		flags &= ~O_DSYNC;
	/* A block device: see tcm_rs_file_open_bdev. Anything else as LIO. */
	if (!kern_path(path, LOOKUP_FOLLOW, &p)) {
		if (S_ISBLK(d_inode(p.dentry)->i_mode))
			f = tcm_rs_file_open_bdev(&p, flags);
		path_put(&p);
	}
	if (!f)
		f = filp_open(path, flags, 0600);
	if (IS_ERR(f)) {
		pr_err("filp_open(%s) failed\n", path);
		return PTR_ERR(f);
	}
	tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	if (!tf) {
		filp_close(f, NULL);
		return -ENOMEM;
	}
	tf->f = f;
	INIT_DELAYED_WORK(&tf->modified, tcm_rs_file_modified_fn);
	*out = tf;
	return 0;
}

void tcm_rs_file_close(struct tcm_rs_file *tf)
{
	/* No command is left: the last writes' time update is made now. */
	flush_delayed_work(&tf->modified);
	filp_close(tf->f, NULL);
	kfree(tf);
}

void tcm_rs_file_info(struct tcm_rs_file *tf, struct tcm_rs_file_info *info)
{
	struct inode *inode = tf->f->f_mapping->host;

	info->size = i_size_read(inode);
	info->block_size = 0;
	info->is_blk = 0;
	info->nonrot = 0;
	info->max_discard_sectors = 0;
	info->discard_granularity = 0;
	info->discard_alignment = 0;
	if (S_ISBLK(inode->i_mode)) {
		struct block_device *bdev = I_BDEV(inode);

		info->is_blk = 1;
		info->block_size = bdev_logical_block_size(bdev);
		info->nonrot = !bdev_rot(bdev);
		info->max_discard_sectors = bdev_max_discard_sectors(bdev);
		info->discard_granularity = bdev_discard_granularity(bdev);
		info->discard_alignment = bdev_discard_alignment(bdev);
	}
}

u64 tcm_rs_file_size(struct tcm_rs_file *tf)
{
	return i_size_read(tf->f->f_mapping->host);
}

/*
 * Describes the first @len bytes of the @nents entries of @sgl in @bvecs
 * (room for @nents) and sets @iter over them, in direction @dir; the list
 * may map more than @len. -EINVAL if it maps less.
 */
static int tcm_rs_file_iter(struct iov_iter *iter, unsigned int dir, struct bio_vec *bvecs,
			    struct scatterlist *sgl, unsigned int nents, size_t len)
{
	struct scatterlist *sg;
	unsigned int i, used = 0;
	size_t left = len;

	for_each_sg(sgl, sg, nents, i) {
		unsigned int n;

		if (!left)
			break;
		n = min_t(size_t, sg->length, left);
		bvec_set_page(&bvecs[used++], sg_page(sg), n, sg->offset);
		left -= n;
	}
	if (left)
		return -EINVAL;
	iov_iter_bvec(iter, dir, bvecs, used, len);
	return 0;
}

static int tcm_rs_file_do_rw(struct file *f, struct scatterlist *sgl,
			     unsigned int nents, size_t len, u64 pos, bool write)
{
	struct bio_vec stack_bvecs[TCM_RS_FILE_STACK_BVECS];
	struct bio_vec *bvecs = stack_bvecs;
	struct iov_iter iter;
	loff_t ppos = pos;
	ssize_t ret;
	int err = 0;

	if (nents > TCM_RS_FILE_STACK_BVECS) {
		bvecs = kvmalloc_array(nents, sizeof(*bvecs), GFP_KERNEL);
		if (!bvecs)
			return -ENOMEM;
	}
	err = tcm_rs_file_iter(&iter, write ? ITER_SOURCE : ITER_DEST, bvecs, sgl, nents, len);
	if (err)
		goto out;
	if (write) {
		/*
		 * A short write wrote what it could; the rest is written again,
		 * so that what stopped it (ENOSPC on a full file system, EDQUOT)
		 * is the error the core maps, not a bare EIO.
		 */
		size_t written = 0;

		do {
			ret = vfs_iter_write(f, &iter, &ppos, 0);
			if (ret > 0)
				written += ret;
		} while (ret > 0 && written < len);
		if (ret >= 0)
			ret = written;
	} else {
		ret = vfs_iter_read(f, &iter, &ppos, 0);
	}

	if (ret < 0) {
		err = ret;
	} else if ((size_t)ret != len) {
		if (write || S_ISBLK(file_inode(f)->i_mode)) {
			err = -EIO;
		} else {
			/*
			 * The file ends before the device does (it was just
			 * created, or truncated under us): the rest reads as
			 * zeroes, and no stale page content goes out.
			 */
			if (iov_iter_zero(len - ret, &iter) != len - ret)
				err = -EIO;
		}
	}
	if (err)
		pr_err("%s of %zu bytes at %llu returned %zd\n",
		       write ? "write" : "read", len, pos, ret);
out:
	if (bvecs != stack_bvecs)
		kvfree(bvecs);
	return err;
}

/* What a command asks of the file. */
enum tcm_rs_file_op {
	TCM_RS_FILE_RW,
	TCM_RS_FILE_SYNC,
	TCM_RS_FILE_UNMAP,
};

/* A command's request, run in place or on tcm_rs_file_wq (submitter's stack). */
struct tcm_rs_file_work {
	struct work_struct work;
	struct completion done;
	enum tcm_rs_file_op op;
	struct file *f;
	struct scatterlist *sgl;
	unsigned int nents;
	size_t len;
	u64 pos;
	bool write;
	int ret;
};

static int tcm_rs_file_do_sync(struct file *f, u64 pos, u64 len)
{
	loff_t end = len ? pos + len - 1 : LLONG_MAX;
	int ret = vfs_fsync_range(f, pos, end, 1);

	if (ret)
		pr_err("vfs_fsync_range() of %llu bytes at %llu failed: %d\n", len, pos, ret);
	return ret;
}

static int tcm_rs_file_do_unmap(struct file *f, u64 pos, u64 len)
{
	struct inode *inode = file_inode(f);
	int ret;

	if (S_ISBLK(inode->i_mode))
		ret = blkdev_issue_discard(I_BDEV(f->f_mapping->host), pos >> SECTOR_SHIFT,
					   len >> SECTOR_SHIFT, GFP_KERNEL);
	else
		ret = vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, pos, len);
	if (ret)
		pr_err("unmap of %llu bytes at %llu failed: %d\n", len, pos, ret);
	return ret;
}

static int tcm_rs_file_do(struct tcm_rs_file_work *w)
{
	switch (w->op) {
	case TCM_RS_FILE_RW:
		return tcm_rs_file_do_rw(w->f, w->sgl, w->nents, w->len, w->pos, w->write);
	case TCM_RS_FILE_SYNC:
		return tcm_rs_file_do_sync(w->f, w->pos, w->len);
	case TCM_RS_FILE_UNMAP:
		return tcm_rs_file_do_unmap(w->f, w->pos, w->len);
	}
	return -EINVAL;
}

static void tcm_rs_file_work_fn(struct work_struct *work)
{
	struct tcm_rs_file_work *w = container_of(work, struct tcm_rs_file_work, work);

	w->ret = tcm_rs_file_do(w);
	complete(&w->done);
}

static int tcm_rs_file_run(struct tcm_rs_file_work *w)
{
	/*
	 * A fabric may execute a command in the context that submitted it to
	 * the initiator's block layer (the loopback fabric does). There, the
	 * bios that reading or writing a block device (or a file system on
	 * one) makes are only queued on current->bio_list until that
	 * submission returns, and waiting for them would never end: do the
	 * I/O in a worker, which submits them at once, and wait for it.
	 */
	/*
	 * A block device always goes to the worker too: the command may come
	 * from a read of the initiator's disk, which holds that disk's inode
	 * lock, and reading ours takes a lock of the same class (lockdep
	 * cannot tell the two disks apart).
	 */
	if (!current->bio_list && !S_ISBLK(file_inode(w->f)->i_mode))
		return tcm_rs_file_do(w);

	INIT_WORK_ONSTACK(&w->work, tcm_rs_file_work_fn);
	init_completion(&w->done);
	queue_work(tcm_rs_file_wq, &w->work);
	wait_for_completion(&w->done);
	destroy_work_on_stack(&w->work);
	return w->ret;
}

int tcm_rs_file_rw(struct tcm_rs_file *tf, struct scatterlist *sgl, unsigned int nents,
		   size_t len, u64 pos, bool write)
{
	struct tcm_rs_file_work w = {
		.op = TCM_RS_FILE_RW,
		.f = tf->f,
		.sgl = sgl,
		.nents = nents,
		.len = len,
		.pos = pos,
		.write = write,
	};

	return tcm_rs_file_run(&w);
}

int tcm_rs_file_sync(struct tcm_rs_file *tf, u64 pos, u64 len)
{
	struct tcm_rs_file_work w = { .op = TCM_RS_FILE_SYNC, .f = tf->f, .pos = pos, .len = len };

	return tcm_rs_file_run(&w);
}

int tcm_rs_file_unmap(struct tcm_rs_file *tf, u64 pos, u64 len)
{
	struct tcm_rs_file_work w = { .op = TCM_RS_FILE_UNMAP, .f = tf->f, .pos = pos, .len = len };

	return tcm_rs_file_run(&w);
}

/* A read or write left in flight by tcm_rs_file_rw_async. */
struct tcm_rs_file_async {
	struct work_struct work;
	struct file *f;
	struct scatterlist *sgl;
	unsigned int nents;
	size_t len;
	u64 pos;
	bool write;
	void *token;
};

static void tcm_rs_file_async_fn(struct work_struct *work)
{
	struct tcm_rs_file_async *a = container_of(work, struct tcm_rs_file_async, work);
	void *token = a->token;
	unsigned int noio;
	int err;

	/*
	 * A worker: no bio submission to wait behind, the I/O goes at once.
	 * The command may be a local initiator's writeback: the file system's
	 * allocations for it must not reclaim through I/O (loop.c's rule).
	 */
	noio = memalloc_noio_save();
	err = tcm_rs_file_do_rw(a->f, a->sgl, a->nents, a->len, a->pos, a->write);
	memalloc_noio_restore(noio);
	kfree(a);
	tcm_rs_backstore_rw_done(token, err);
}

/*
 * Whether @len bytes at byte @pos of @f may be read or written in place,
 * from the page cache, inside the initiator's bio submission
 * (tcm_rs_file_shmem_rw): only for a tmpfs file, whose page cache is the
 * file; not past its end (the worker reads zeroes there, or grows the file);
 * not while fanotify watches it with permission events (a pre-content or
 * access-permission watch, answered by a daemon that the VFS's own read and
 * write wait for).
 */
static bool tcm_rs_file_shmem_in_place(struct file *f, u64 pos, size_t len)
{
	if (!S_ISREG(file_inode(f)->i_mode) || !shmem_mapping(f->f_mapping))
		return false;
	if (FMODE_FSNOTIFY_HSM(f->f_mode) || FMODE_FSNOTIFY_ACCESS_PERM(f->f_mode))
		return false;
	return pos + len <= i_size_read(file_inode(f));
}

/*
 * The folio of the tmpfs file @mapping that holds byte @pos, held, if it is
 * in memory, up to date and unpoisoned; NULL otherwise (a hole, a page on
 * swap, a page fallocated but never written). With @lock, it is locked too,
 * if its lock comes at once, and still the file's and not being written
 * out; NULL otherwise.
 *
 * tmpfs holds a file in its page cache, so an up-to-date folio there is
 * the file's data (shmem's own read and write look it up the same way,
 * with a lock they may sleep for and a swap-in they may wait for).
 */
static struct folio *tcm_rs_file_shmem_folio(struct address_space *mapping, u64 pos, bool lock)
{
	struct folio *folio = filemap_get_folio(mapping, pos >> PAGE_SHIFT);

	if (IS_ERR(folio))
		return NULL;
	if (lock && !folio_trylock(folio)) {
		folio_put(folio);
		return NULL;
	}
	/* Truncated or swapped out since the lookup; on its way to swap. */
	if (lock && (folio->mapping != mapping || folio_test_writeback(folio)))
		goto drop;
	if (!folio_test_uptodate(folio) || folio_contain_hwpoisoned_page(folio))
		goto drop;
	return folio;
drop:
	if (lock)
		folio_unlock(folio);
	folio_put(folio);
	return NULL;
}

/*
 * Copies @len bytes between byte @pos of the tmpfs file @mapping and @iter
 * (into the file if @write), folio by folio, while each is one that
 * tcm_rs_file_shmem_folio finds; false at the first that is not, and then
 * part of the bytes may have been copied.
 *
 * A read holds the folio, as the page cache's own reads do: a write racing
 * with it may be seen in part, as it may there. A write locks it, as
 * shmem's write does, which keeps truncation and swap-out away.
 */
static bool tcm_rs_file_shmem_copy(struct address_space *mapping, u64 pos, size_t len,
				   struct iov_iter *iter, bool write)
{
	while (len) {
		struct folio *folio = tcm_rs_file_shmem_folio(mapping, pos, write);
		size_t off, n, copied;

		if (!folio)
			return false;
		off = offset_in_folio(folio, pos);
		n = min_t(size_t, len, folio_size(folio) - off);
		/* As the page cache ages a folio: on an access at its start. */
		if (!off)
			folio_mark_accessed(folio);
		if (write) {
			copied = copy_folio_from_iter_atomic(folio, off, n, iter);
			flush_dcache_folio(folio);
			folio_mark_dirty(folio);
			folio_unlock(folio);
		} else {
			copied = copy_folio_to_iter(folio, off, n, iter);
		}
		folio_put(folio);
		if (copied != n)
			return false;
		pos += n;
		len -= n;
	}
	return true;
}

/*
 * Moves @len bytes between byte @pos of the tmpfs file @f and @sgl in place
 * (tcm_rs_file_shmem_copy), entry by entry (no bio_vec array, so no limit
 * on @nents). True when all of it was moved.
 */
static bool tcm_rs_file_shmem_rw(struct file *f, struct scatterlist *sgl, unsigned int nents,
				 size_t len, u64 pos, bool write)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(sgl, sg, nents, i) {
		struct iov_iter iter;
		struct bio_vec bv;
		size_t n;

		if (!len)
			break;
		n = min_t(size_t, sg->length, len);
		bvec_set_page(&bv, sg_page(sg), n, sg->offset);
		iov_iter_bvec(&iter, write ? ITER_SOURCE : ITER_DEST, &bv, 1, n);
		if (!tcm_rs_file_shmem_copy(f->f_mapping, pos, n, &iter, write))
			return false;
		pos += n;
		len -= n;
	}
	return !len;
}

/* tcm_rs_file_read_nowait for a tmpfs file. */
static bool tcm_rs_file_read_shmem(struct tcm_rs_file *tf, struct scatterlist *sgl,
				   unsigned int nents, size_t len, u64 pos)
{
	struct file *f = tf->f;
	unsigned long now = jiffies;

	if (!tcm_rs_file_shmem_in_place(f, pos, len) ||
	    !tcm_rs_file_shmem_rw(f, sgl, nents, len, pos, false))
		return false;
	/* The access time, as any read of the file keeps it. */
	if (READ_ONCE(tf->accessed) != now) {
		WRITE_ONCE(tf->accessed, now);
		file_accessed(f);
	}
	return true;
}

/*
 * Reads @len bytes at @pos into @sgl from the page cache, if that can be
 * done at once: no I/O, no sleep. A regular file whose file system honours
 * IOCB_NOWAIT (FMODE_NOWAIT: ext4, XFS) says so through its own read
 * (IOCB_NOWAIT | IOCB_NOIO); a tmpfs file, whose page cache is the file,
 * is copied from it (tcm_rs_file_read_shmem). True when all of it was
 * read. Safe inside a bio submission: nothing is submitted, nothing waited
 * for.
 */
static bool tcm_rs_file_read_nowait(struct tcm_rs_file *tf, struct scatterlist *sgl,
				    unsigned int nents, size_t len, u64 pos)
{
	struct file *f = tf->f;
	struct bio_vec stack_bvecs[TCM_RS_FILE_STACK_BVECS];
	struct bio_vec *bvecs = stack_bvecs;
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret = -EAGAIN;

	if (!S_ISREG(file_inode(f)->i_mode))
		return false;
	if (shmem_mapping(f->f_mapping))
		return tcm_rs_file_read_shmem(tf, sgl, nents, len, pos);
	if (!(f->f_mode & FMODE_NOWAIT))
		return false;
	/* A longer list (a 128 KiB read): an array if one comes at once. */
	if (nents > TCM_RS_FILE_STACK_BVECS) {
		bvecs = kmalloc_array(nents, sizeof(*bvecs), GFP_NOWAIT | __GFP_NOWARN);
		if (!bvecs)
			return false;
	}
	if (!tcm_rs_file_iter(&iter, ITER_DEST, bvecs, sgl, nents, len)) {
		init_sync_kiocb(&kiocb, f);
		kiocb.ki_pos = pos;
		kiocb.ki_flags |= IOCB_NOWAIT | IOCB_NOIO;
		ret = vfs_iocb_iter_read(f, &kiocb, &iter);
	}
	if (bvecs != stack_bvecs)
		kfree(bvecs);
	/* Short (past the file's end, or part not cached): done again whole. */
	return ret == len;
}

/*
 * Writes @len bytes of @sgl at byte @pos of @tf's file in place, into the
 * pages of a tmpfs file's page cache, if that can be done at once: no
 * allocation, no swap-in, no lock waited for. True when all of it was
 * written; otherwise part may have been, and the worker writes it all
 * (the same bytes) again.
 *
 * What shmem's own write does besides the copy is done here or left to
 * it: a file sealed against writes, one whose set-user-ID bits a write
 * must clear (not S_NOSEC), a swap file and a frozen file system go to the
 * worker, whose write fails or does it; the modification time and
 * fsnotify's event follow within TCM_RS_FILE_MODIFIED_DELAY
 * (tcm_rs_file_modified_fn). i_rwsem is not taken: two writes to one
 * block in flight together land in either order, as SCSI allows. Write
 * through costs nothing more, as tmpfs's fsync has nothing to do.
 */
static bool tcm_rs_file_write_shmem(struct tcm_rs_file *tf, struct scatterlist *sgl,
				    unsigned int nents, size_t len, u64 pos)
{
	struct file *f = tf->f;
	struct inode *inode = file_inode(f);
	bool written;

	if (!tcm_rs_file_shmem_in_place(f, pos, len))
		return false;
	if ((SHMEM_I(inode)->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) ||
	    !IS_NOSEC(inode) || IS_SWAPFILE(inode))
		return false;
	if (!sb_start_write_trylock(inode->i_sb))
		return false;
	written = tcm_rs_file_shmem_rw(f, sgl, nents, len, pos, true);
	sb_end_write(inode->i_sb);
	/* A test first: the queueing itself writes a shared word. */
	if (written && !delayed_work_pending(&tf->modified))
		queue_delayed_work(tcm_rs_file_wq, &tf->modified, TCM_RS_FILE_MODIFIED_DELAY);
	return written;
}

/*
 * What writes made in place owe the file (struct tcm_rs_file's modified):
 * its modification and change times, set as shmem's write sets them, under
 * freeze protection and i_rwsem, and fsnotify's modify event. Queued again
 * by a write made once it has begun, so every such write is followed by an
 * update that starts after it.
 */
static void tcm_rs_file_modified_fn(struct work_struct *work)
{
	struct tcm_rs_file *tf = container_of(to_delayed_work(work), struct tcm_rs_file, modified);
	struct file *f = tf->f;
	struct inode *inode = file_inode(f);

	sb_start_write(inode->i_sb);
	inode_lock(inode);
	file_update_time(f);
	inode_unlock(inode);
	sb_end_write(inode->i_sb);
	fsnotify_modify(f);
}

int tcm_rs_file_rw_nowait(struct tcm_rs_file *tf, struct scatterlist *sgl, unsigned int nents,
			  size_t len, u64 pos, bool write)
{
	if (write ? tcm_rs_file_write_shmem(tf, sgl, nents, len, pos) :
		    tcm_rs_file_read_nowait(tf, sgl, nents, len, pos))
		return 0;
	return -EAGAIN;
}

int tcm_rs_file_rw_async(struct tcm_rs_file *tf, struct scatterlist *sgl, unsigned int nents,
			 size_t len, u64 pos, bool write, void *token)
{
	struct tcm_rs_file_async *a;

	/* GFP_NOIO: the command may be the initiator's writeback. */
	a = kmalloc(sizeof(*a), GFP_NOIO);
	if (!a)
		return -EAGAIN;
	*a = (struct tcm_rs_file_async) {
		.f = tf->f,
		.sgl = sgl,
		.nents = nents,
		.len = len,
		.pos = pos,
		.write = write,
		.token = token,
	};
	INIT_WORK(&a->work, tcm_rs_file_async_fn);
	queue_work(tcm_rs_file_async_wq, &a->work);
	return TCM_RS_FILE_PENDING;
}
