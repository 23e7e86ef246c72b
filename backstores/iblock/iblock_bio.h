/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C half of tcm_rs_iblock: opening and closing the block device,
 * reading its queue limits, and moving a command's scatterlist to and from
 * it with bios built on the scatterlist's own pages (no copy). These use
 * static inline functions and macros (IS_ERR, file_bdev, bdev_* limits,
 * for_each_sg, bio_list) that Rust cannot call directly.
 */
#ifndef TCM_RS_IBLOCK_BIO_H
#define TCM_RS_IBLOCK_BIO_H

#include <linux/types.h>

struct file;
struct scatterlist;

/* The longest block device name %pg prints, with its NUL (BDEVNAME_SIZE). */
#define TCM_RS_IBLOCK_NAME_LEN 32

/* What enable needs to know about an opened block device. */
struct tcm_rs_iblock_info {
	/* Size in bytes. */
	u64 nr_bytes;
	/* Logical block size in bytes. */
	u32 block_size;
	/* queue_max_hw_sectors(), in 512-byte sectors. */
	u32 max_hw_sectors;
	/* The queue's nr_requests (LIO's hw_queue_depth). */
	u32 nr_requests;
	/* bdev_max_discard_sectors(), 512-byte sectors; 0: no discard. */
	u32 max_discard_sectors;
	/* bdev_discard_granularity() and bdev_discard_alignment(), bytes. */
	u32 discard_granularity;
	u32 discard_alignment;
	/* bdev_write_zeroes_sectors(), 512-byte sectors. */
	u32 max_write_zeroes_sectors;
	u32 major;
	u32 minor;
	/* Non-zero for a device without seek time. */
	u8 nonrot;
	/* Non-zero for a volatile write cache (bdev_write_cache). */
	u8 write_cache;
	/* The device's name as %pg prints it ("nullb0", "loop1", "sda2"). */
	char name[TCM_RS_IBLOCK_NAME_LEN];
};

/*
 * The module's workqueue and bio set: made at module load (0 or -errno),
 * destroyed at unload, when no device is left.
 */
int tcm_rs_iblock_init(void);
void tcm_rs_iblock_exit(void);
/*
 * Opens the block device at @path as LIO's iblock does: for reading, and
 * for writing unless @readonly; exclusively with @holder unless @holder is
 * NULL. Returns 0 and the file in @out, or -errno, logged. The path is
 * looked up by the caller; the device is opened on the module's workqueue
 * (see iblock_bio.c).
 */
int tcm_rs_iblock_open(const char *path, bool readonly, void *holder, struct file **out);
/* Closes a file from tcm_rs_iblock_open(). */
void tcm_rs_iblock_close(struct file *f);
/* Fills @info for @f. */
void tcm_rs_iblock_info(struct file *f, struct tcm_rs_iblock_info *info);
/*
 * The size of @f's block device in bytes now (bdev_nr_bytes: a load, no
 * lock), which changes when the device is grown or shrunk (losetup -c,
 * lvresize). Called before every command.
 */
u64 tcm_rs_iblock_nr_bytes(struct file *f);
/*
 * Moves @len bytes between byte @pos of the device and the first @len bytes
 * of the @nents entries of @sgl (into the device if @write), with as many
 * bios as it takes, and waits for all of them. @pos and @len are multiples
 * of the logical block size. 0, -EIO if any bio failed, -ENOMEM, -EINVAL if
 * the list is shorter than @len. May sleep.
 */
int tcm_rs_iblock_rw(struct file *f, struct scatterlist *sgl, unsigned int nents,
		     size_t len, u64 pos, bool write);
/*
 * What tcm_rs_iblock_rw_async() returns while its bios are in flight (the
 * backstore ABI's RW_PENDING).
 */
#define TCM_RS_IBLOCK_PENDING 1
/*
 * As tcm_rs_iblock_rw(), but returns once the bios are submitted:
 * TCM_RS_IBLOCK_PENDING, after which the last bio to end calls
 * tcm_rs_backstore_rw_done(@token, 0 or -errno) from its end_io (any
 * context), and the pages stay in use until then; or, when every bio ended
 * before the submission did, 0 or -errno, and @token is not completed.
 * -EAGAIN: nothing done (no memory). May sleep (bio allocation and
 * submission), never waits for the I/O. @fua (with @write): every bio has
 * REQ_FUA, and the transfer ends once the data is on the medium.
 */
int tcm_rs_iblock_rw_async(struct file *f, struct scatterlist *sgl, unsigned int nents,
			   size_t len, u64 pos, bool write, bool fua, void *token);
/* The core's completion of an asynchronous transfer (backstore ABI 0.9). */
void tcm_rs_backstore_rw_done(void *token, int err);
/* Flushes the device's volatile write cache (blkdev_issue_flush). 0 or -errno. */
int tcm_rs_iblock_flush(struct file *f);
/* Discards @len bytes from byte @pos (blkdev_issue_discard). 0 or -errno. */
int tcm_rs_iblock_discard(struct file *f, u64 pos, u64 len);

#endif
