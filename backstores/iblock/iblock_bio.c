// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of tcm_rs_iblock; see iblock_bio.h.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/scatterlist.h>
#include <linux/workqueue.h>

#include "iblock_bio.h"

/* The layout iblock_main.rs mirrors in `BdevInfo`. */
static_assert(sizeof(struct tcm_rs_iblock_info) == 80);

/* Bios kept in reserve for writeback under memory pressure (LIO's pool size). */
#define TCM_RS_IBLOCK_BIO_POOL_SIZE 128

/*
 * Opens block devices, and runs the I/O of commands that arrive inside a
 * bio submission (see tcm_rs_iblock_call). WQ_MEM_RECLAIM: the initiator
 * may be writing back pages to free memory.
 */
static struct workqueue_struct *tcm_rs_iblock_wq;
/*
 * The bios of one transfer left in flight (tcm_rs_iblock_rw_async): the
 * last of them to end completes the core's token, unless the submitter is
 * last, when it returns the result instead.
 */
struct tcm_rs_iblock_areq {
	/* Bios in flight, plus one for the submitter until it is done. */
	atomic_t pending;
	/* Set by any bio that failed. */
	atomic_t failed;
	/* The submitter's own failure (-ENOMEM, -EIO, -EINVAL), or 0. */
	int err;
	void *token;
	u64 pos;
	size_t len;
	bool write;
};

/*
 * A bio of the module's set, with room in front of it: the first bio of
 * an asynchronous transfer carries the transfer's state there, so that a
 * command allocates its bios and nothing else. That bio is put when the
 * transfer ends, whichever of its bios ends last.
 */
struct tcm_rs_iblock_abio {
	struct tcm_rs_iblock_areq r;
	struct bio bio;
};

/*
 * The module's own bios, so that a stack of block devices (ours on another
 * that also allocates from fs_bio_set) never waits for its own pool.
 */
static struct bio_set tcm_rs_iblock_bio_set;

int tcm_rs_iblock_init(void)
{
	int ret;

	/*
	 * A rescuer: bios of an asynchronous transfer may be allocated inside
	 * a bio submission (the loopback's queuecommand), where earlier ones
	 * wait on current->bio_list; without it the pool could wait for them.
	 * A per-CPU cache (as io_uring's and iomap's direct I/O have): a bio of
	 * up to BIO_INLINE_VECS pages, put in a task or a hard interrupt, goes
	 * back on its CPU's list, and the next command takes it from there
	 * instead of from the slab (the loopback puts it in the submitter's
	 * task, where the device completed it).
	 */
	ret = bioset_init(&tcm_rs_iblock_bio_set, TCM_RS_IBLOCK_BIO_POOL_SIZE,
			  offsetof(struct tcm_rs_iblock_abio, bio),
			  BIOSET_NEED_BVECS | BIOSET_NEED_RESCUER | BIOSET_PERCPU_CACHE);
	if (ret)
		return ret;
	tcm_rs_iblock_wq = alloc_workqueue("tcm_rs_iblock", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!tcm_rs_iblock_wq) {
		bioset_exit(&tcm_rs_iblock_bio_set);
		return -ENOMEM;
	}
	return 0;
}

void tcm_rs_iblock_exit(void)
{
	destroy_workqueue(tcm_rs_iblock_wq);
	bioset_exit(&tcm_rs_iblock_bio_set);
}

/* A call handed to tcm_rs_iblock_wq, on the caller's stack. */
struct tcm_rs_iblock_work {
	struct work_struct work;
	struct completion done;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

static void tcm_rs_iblock_work_fn(struct work_struct *work)
{
	struct tcm_rs_iblock_work *w = container_of(work, struct tcm_rs_iblock_work, work);

	w->ret = w->fn(w->arg);
	complete(&w->done);
}

/*
 * Runs @fn(@arg) and returns its result: on the module's workqueue if
 * @always or if the caller is inside a bio submission, in the caller
 * otherwise.
 *
 * A fabric may execute a command in the context that submitted it to the
 * initiator's block layer (the loopback fabric does). There, bios we submit
 * are only queued on current->bio_list until that submission returns, so
 * waiting for them would never end: a worker submits them at once.
 */
static int tcm_rs_iblock_call(int (*fn)(void *), void *arg, bool always)
{
	struct tcm_rs_iblock_work w;

	if (!always && !current->bio_list)
		return fn(arg);

	INIT_WORK_ONSTACK(&w.work, tcm_rs_iblock_work_fn);
	init_completion(&w.done);
	w.fn = fn;
	w.arg = arg;
	queue_work(tcm_rs_iblock_wq, &w.work);
	wait_for_completion(&w.done);
	destroy_work_on_stack(&w.work);
	return w.ret;
}

struct tcm_rs_iblock_open_args {
	dev_t dev;
	blk_mode_t mode;
	void *holder;
	struct file *f;
};

static int tcm_rs_iblock_open_fn(void *arg)
{
	struct tcm_rs_iblock_open_args *a = arg;

	a->f = bdev_file_open_by_dev(a->dev, a->mode, a->holder, NULL);
	return PTR_ERR_OR_ZERO(a->f);
}

/*
 * The core calls enable under the device's lock, a lock it also takes to
 * execute commands, under the block layer's locks of the initiator's disk;
 * opening a block device takes its open_mutex, which comes before those
 * same block layer locks. Lockdep sees one lock class for every device of
 * the core, so the open, made under the lock, closes a cycle. There is no
 * real one: commands reach a device only once it is enabled, so the disk
 * being opened never waits for the device being enabled. Opening outside
 * the task that holds the lock says so (as tcm_rs_fileio does). The path is
 * looked up here, in the caller's namespace, with its permissions.
 */
int tcm_rs_iblock_open(const char *path, bool readonly, void *holder, struct file **out)
{
	struct tcm_rs_iblock_open_args a = {
		.mode = readonly ? BLK_OPEN_READ : BLK_OPEN_READ | BLK_OPEN_WRITE,
		.holder = holder,
	};
	int ret;

	ret = lookup_bdev(path, &a.dev);
	if (!ret)
		ret = tcm_rs_iblock_call(tcm_rs_iblock_open_fn, &a, true);
	/* As bdev_file_open_by_path(): a read-only disk is not opened for writing. */
	if (!ret && !readonly && bdev_read_only(file_bdev(a.f))) {
		fput(a.f);
		ret = -EACCES;
	}
	if (ret) {
		pr_err("IBLOCK: cannot open %s: %d\n", path, ret);
		return ret;
	}
	*out = a.f;
	return 0;
}

void tcm_rs_iblock_close(struct file *f)
{
	fput(f);
}

void tcm_rs_iblock_info(struct file *f, struct tcm_rs_iblock_info *info)
{
	struct block_device *bdev = file_bdev(f);
	struct request_queue *q = bdev_get_queue(bdev);

	info->nr_bytes = bdev_nr_bytes(bdev);
	info->block_size = bdev_logical_block_size(bdev);
	info->max_hw_sectors = queue_max_hw_sectors(q);
	info->nr_requests = q->nr_requests;
	info->max_discard_sectors = bdev_max_discard_sectors(bdev);
	info->discard_granularity = bdev_discard_granularity(bdev);
	info->discard_alignment = bdev_discard_alignment(bdev);
	info->max_write_zeroes_sectors = bdev_write_zeroes_sectors(bdev);
	info->major = MAJOR(bdev->bd_dev);
	info->minor = MINOR(bdev->bd_dev);
	info->nonrot = !bdev_rot(bdev);
	info->write_cache = bdev_write_cache(bdev);
	snprintf(info->name, sizeof(info->name), "%pg", bdev);
}

u64 tcm_rs_iblock_nr_bytes(struct file *f)
{
	return bdev_nr_bytes(file_bdev(f));
}

/* The bios of one command in flight: a count and the first failure. */
struct tcm_rs_iblock_req {
	/* Bios in flight, plus one for the submitter until it is done. */
	atomic_t pending;
	/* Set by any bio that failed. */
	atomic_t failed;
	struct completion done;
};

static void tcm_rs_iblock_put_req(struct tcm_rs_iblock_req *r)
{
	if (atomic_dec_and_test(&r->pending))
		complete(&r->done);
}

static void tcm_rs_iblock_end_io(struct bio *bio)
{
	struct tcm_rs_iblock_req *r = bio->bi_private;

	if (bio->bi_status) {
		pr_err("IBLOCK: bio error at sector %llu: %d\n",
		       (unsigned long long)bio->bi_iter.bi_sector,
		       blk_status_to_errno(bio->bi_status));
		atomic_set(&r->failed, 1);
	}
	bio_put(bio);
	tcm_rs_iblock_put_req(r);
}

struct tcm_rs_iblock_rw_args {
	struct block_device *bdev;
	struct scatterlist *sgl;
	unsigned int nents;
	size_t len;
	u64 pos;
	bool write;
};

static struct bio *tcm_rs_iblock_new_bio(struct tcm_rs_iblock_rw_args *a,
					 struct tcm_rs_iblock_req *r,
					 unsigned int nents_left, blk_opf_t opf,
					 size_t done)
{
	struct bio *bio;

	/* GFP_NOIO with a mempool behind it: waits, never fails. */
	bio = bio_alloc_bioset(a->bdev, bio_max_segs(nents_left), opf, GFP_NOIO,
			       &tcm_rs_iblock_bio_set);
	if (!bio)
		return NULL;
	bio->bi_iter.bi_sector = (a->pos + done) >> SECTOR_SHIFT;
	bio->bi_private = r;
	bio->bi_end_io = tcm_rs_iblock_end_io;
	return bio;
}

static void tcm_rs_iblock_submit(struct bio *bio, struct tcm_rs_iblock_req *r)
{
	atomic_inc(&r->pending);
	submit_bio(bio);
}

/*
 * The operation for a READ or WRITE's bios. A write carries REQ_SYNC and
 * REQ_IDLE, as an O_DIRECT write does, since an initiator waits for it.
 * Without them the block layer takes it for background writeback:
 * writeback throttling (wbt) holds such writes to a quarter of its depth
 * while other I/O runs, BFQ queues them as asynchronous behind everyone's
 * synchronous I/O, and blk-mq without a scheduler hands them to kblockd
 * instead of issuing them directly once the queue has been busy. LIO's
 * iblock marks its writes the same.
 */
static blk_opf_t tcm_rs_iblock_rw_opf(bool write)
{
	return write ? REQ_OP_WRITE | REQ_SYNC | REQ_IDLE : REQ_OP_READ;
}

static int tcm_rs_iblock_rw_fn(void *arg)
{
	struct tcm_rs_iblock_rw_args *a = arg;
	struct tcm_rs_iblock_req r;
	struct scatterlist *sg;
	struct bio *bio = NULL;
	struct blk_plug plug;
	/*
	 * No REQ_FUA: a FUA write comes here only when it could not be left
	 * in flight, and the core then flushes after it, as on SYNCHRONIZE
	 * CACHE.
	 */
	blk_opf_t opf = tcm_rs_iblock_rw_opf(a->write);
	size_t done = 0;
	unsigned int i;
	int err = 0;

	atomic_set(&r.pending, 1);
	atomic_set(&r.failed, 0);
	init_completion(&r.done);

	blk_start_plug(&plug);
	/* Only the first @len bytes: the list may map more. */
	for_each_sg(a->sgl, sg, a->nents, i) {
		unsigned int n;

		if (done == a->len)
			break;
		n = min_t(size_t, sg->length, a->len - done);
		if (bio && bio_add_page(bio, sg_page(sg), n, sg->offset) == n) {
			done += n;
			continue;
		}
		/* No bio yet, or this one is full: send it and start the next. */
		if (bio)
			tcm_rs_iblock_submit(bio, &r);
		bio = tcm_rs_iblock_new_bio(a, &r, a->nents - i, opf, done);
		if (!bio) {
			err = -ENOMEM;
			break;
		}
		/* An empty bio takes any one entry (sg->length fits its size). */
		if (bio_add_page(bio, sg_page(sg), n, sg->offset) != n) {
			bio_put(bio);
			bio = NULL;
			err = -EIO;
			break;
		}
		done += n;
	}
	/* The last one (a failure above leaves none unsent). */
	if (bio)
		tcm_rs_iblock_submit(bio, &r);
	blk_finish_plug(&plug);

	tcm_rs_iblock_put_req(&r);
	wait_for_completion_io(&r.done);

	if (!err && done != a->len)
		err = -EINVAL;
	if (!err && atomic_read(&r.failed))
		err = -EIO;
	if (err)
		pr_err("IBLOCK: %s of %zu bytes at %llu failed: %d\n",
		       a->write ? "write" : "read", a->len, a->pos, err);
	return err;
}

int tcm_rs_iblock_rw(struct file *f, struct scatterlist *sgl, unsigned int nents,
		     size_t len, u64 pos, bool write)
{
	struct tcm_rs_iblock_rw_args a = {
		.bdev = file_bdev(f),
		.sgl = sgl,
		.nents = nents,
		.len = len,
		.pos = pos,
		.write = write,
	};

	return tcm_rs_iblock_call(tcm_rs_iblock_rw_fn, &a, false);
}

static int tcm_rs_iblock_flush_fn(void *arg)
{
	return blkdev_issue_flush(arg);
}

int tcm_rs_iblock_flush(struct file *f)
{
	int ret = tcm_rs_iblock_call(tcm_rs_iblock_flush_fn, file_bdev(f), false);

	if (ret)
		pr_err("IBLOCK: cache flush failed: %d\n", ret);
	return ret;
}

struct tcm_rs_iblock_discard_args {
	struct block_device *bdev;
	u64 pos;
	u64 len;
};

static int tcm_rs_iblock_discard_fn(void *arg)
{
	struct tcm_rs_iblock_discard_args *a = arg;

	return blkdev_issue_discard(a->bdev, a->pos >> SECTOR_SHIFT,
				    a->len >> SECTOR_SHIFT, GFP_KERNEL);
}

int tcm_rs_iblock_discard(struct file *f, u64 pos, u64 len)
{
	struct tcm_rs_iblock_discard_args a = {
		.bdev = file_bdev(f),
		.pos = pos,
		.len = len,
	};
	int ret = tcm_rs_iblock_call(tcm_rs_iblock_discard_fn, &a, false);

	if (ret)
		pr_err("IBLOCK: discard of %llu bytes at %llu failed: %d\n", len, pos, ret);
	return ret;
}

/* The transfer's result, logged as tcm_rs_iblock_rw_fn() logs it. */
static int tcm_rs_iblock_areq_result(struct tcm_rs_iblock_areq *r)
{
	int err = r->err;

	if (!err && atomic_read(&r->failed))
		err = -EIO;
	if (err)
		pr_err_ratelimited("IBLOCK: %s of %zu bytes at %llu failed: %d\n",
				   r->write ? "write" : "read", r->len, r->pos, err);
	return err;
}

/* The first bio of @r's transfer, in front of which @r lives. */
static struct bio *tcm_rs_iblock_areq_bio(struct tcm_rs_iblock_areq *r)
{
	return &container_of(r, struct tcm_rs_iblock_abio, r)->bio;
}

/*
 * Submits @bio to the backing disk now, even inside a bio submission.
 *
 * The loopback executes a command in queuecommand, which blk-mq calls
 * inside the initiator's submit_bio() when it issues a request at once.
 * A bio submitted there only joins current->bio_list, to be submitted
 * once that submission's earlier bios are: the rest of a split bio goes
 * at the list's head. If that rest waits for the initiator's disk (for a
 * tag, all held by commands like this one, or for a queue freeze, such
 * as udev's rescan of the disk, which waits for this command), this bio
 * is never submitted, the command never ends, and neither does the
 * wait: a deadlock. Submitted on a list of its own, the bio does not
 * wait behind the initiator's, and the backing disk's progress never
 * depends on the initiator's disk. (LIO submits from a worker instead,
 * one context switch per command.)
 */
static void tcm_rs_iblock_submit_now(struct bio *bio)
{
	struct bio_list *outer = current->bio_list;

	current->bio_list = NULL;
	submit_bio(bio);
	current->bio_list = outer;
}

/* Any context: a bio's end_io may run in a hard or soft interrupt. */
static void tcm_rs_iblock_async_end_io(struct bio *bio)
{
	struct tcm_rs_iblock_areq *r = bio->bi_private;
	struct bio *first = tcm_rs_iblock_areq_bio(r);

	if (bio->bi_status) {
		pr_err_ratelimited("IBLOCK: bio error at sector %llu: %d\n",
				   (unsigned long long)bio->bi_iter.bi_sector,
				   blk_status_to_errno(bio->bi_status));
		atomic_set(&r->failed, 1);
	}
	/* The first bio holds @r until the last one has ended. */
	if (bio != first)
		bio_put(bio);
	if (atomic_dec_and_test(&r->pending)) {
		int err = tcm_rs_iblock_areq_result(r);
		void *token = r->token;

		bio_put(first);
		/* Never sleeps: the core queues the rest of the completion. */
		tcm_rs_backstore_rw_done(token, err);
	}
}

int tcm_rs_iblock_rw_async(struct file *f, struct scatterlist *sgl, unsigned int nents,
			   size_t len, u64 pos, bool write, bool fua, void *token)
{
	struct block_device *bdev = file_bdev(f);
	blk_opf_t opf = tcm_rs_iblock_rw_opf(write);
	struct tcm_rs_iblock_areq *r = NULL;
	struct scatterlist *sg;
	struct bio *bio = NULL;
	struct blk_plug plug;
	size_t done = 0;
	unsigned int i;
	int err;

	/*
	 * Every bio of a FUA write carries REQ_FUA: the transfer ends when the
	 * last of them does, so all of its data is then on the medium.
	 */
	if (write && fua)
		opf |= REQ_FUA;
	blk_start_plug(&plug);
	/* As tcm_rs_iblock_rw_fn(), with the end_io above. */
	for_each_sg(sgl, sg, nents, i) {
		unsigned int n;

		if (done == len)
			break;
		n = min_t(size_t, sg->length, len - done);
		if (bio && bio_add_page(bio, sg_page(sg), n, sg->offset) == n) {
			done += n;
			continue;
		}
		if (bio) {
			atomic_inc(&r->pending);
			tcm_rs_iblock_submit_now(bio);
		}
		/*
		 * GFP_NOIO with a mempool behind it: waits, never fails. No
		 * I/O to reclaim memory, which may wait for ours.
		 */
		bio = bio_alloc_bioset(bdev, bio_max_segs(nents - i), opf, GFP_NOIO,
				       &tcm_rs_iblock_bio_set);
		if (!bio) {
			if (!r) {
				blk_finish_plug(&plug);
				return -EAGAIN;
			}
			r->err = -ENOMEM;
			break;
		}
		if (!r) {
			/* The first bio: the transfer's state goes in front of it. */
			r = &container_of(bio, struct tcm_rs_iblock_abio, bio)->r;
			atomic_set(&r->pending, 1);
			atomic_set(&r->failed, 0);
			r->err = 0;
			r->token = token;
			r->pos = pos;
			r->len = len;
			r->write = write;
		}
		bio->bi_iter.bi_sector = (pos + done) >> SECTOR_SHIFT;
		bio->bi_private = r;
		bio->bi_end_io = tcm_rs_iblock_async_end_io;
		if (bio_add_page(bio, sg_page(sg), n, sg->offset) != n) {
			/* Never sent; the first one is put with @r, below. */
			if (bio != tcm_rs_iblock_areq_bio(r))
				bio_put(bio);
			bio = NULL;
			r->err = -EIO;
			break;
		}
		done += n;
	}
	if (bio) {
		atomic_inc(&r->pending);
		tcm_rs_iblock_submit_now(bio);
	}
	blk_finish_plug(&plug);
	/* No bio at all: nothing to move, or a list that maps less than @len. */
	if (!r)
		return done == len ? 0 : -EINVAL;
	if (!r->err && done != len)
		r->err = -EINVAL;

	/*
	 * The submitter's reference: the last one out completes. The
	 * decrement orders r->err before the end_io that reads it.
	 */
	if (atomic_dec_and_test(&r->pending)) {
		err = tcm_rs_iblock_areq_result(r);
		bio_put(tcm_rs_iblock_areq_bio(r));
		return err;
	}
	return TCM_RS_IBLOCK_PENDING;
}
