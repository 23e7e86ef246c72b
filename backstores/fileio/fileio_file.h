/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C half of tcm_rs_fileio: opening, sizing and closing the backing file,
 * and moving a command's scatterlist to and from it with the VFS. These
 * use static inline functions and macros (IS_ERR, file_inode, S_ISBLK,
 * bvec_set_page, for_each_sg) that Rust cannot call directly.
 */
#ifndef TCM_RS_FILEIO_FILE_H
#define TCM_RS_FILEIO_FILE_H

#include <linux/types.h>

struct scatterlist;
/* An open backing file (fileio_file.c). */
struct tcm_rs_file;

/* What enable needs to know about an opened backing file. */
struct tcm_rs_file_info {
	/* Size in bytes (the inode's, for a block device). */
	u64 size;
	/* Logical block size of a block device; 0 for anything else. */
	u32 block_size;
	/* Non-zero for a block device. */
	u8 is_blk;
	/* Non-zero for a block device without seek time. */
	u8 nonrot;
	/* A block device's discard limits (0: no discard), in 512-byte
	 * sectors and bytes. */
	u32 max_discard_sectors;
	u32 discard_granularity;
	u32 discard_alignment;
};

/*
 * The workqueue that runs I/O arriving inside a bio submission: made at
 * module load (0 or -ENOMEM), destroyed at unload, when no device is left.
 */
int tcm_rs_file_wq_create(void);
void tcm_rs_file_wq_destroy(void);
/*
 * Opens @path as LIO's fileio does: O_RDWR | O_CREAT | O_LARGEFILE, with
 * O_DSYNC unless @buffered, mode 0600. Returns 0 and the file in @out, or
 * -errno (and logs the failure as LIO does). A block device is opened on
 * the module's workqueue, with the caller's credentials (see fileio_file.c).
 */
int tcm_rs_file_open(const char *path, bool buffered, struct tcm_rs_file **out);
/*
 * Closes a file from tcm_rs_file_open() (filp_close, as LIO), once no
 * command uses it, after the time update its last writes owe. May sleep.
 */
void tcm_rs_file_close(struct tcm_rs_file *tf);
/* Fills @info for @tf. */
void tcm_rs_file_info(struct tcm_rs_file *tf, struct tcm_rs_file_info *info);
/*
 * The size of @tf's file in bytes now (i_size_read of the mapping's inode:
 * for a block device, the device's size, which changes when it is grown or
 * shrunk, as LIO's fd_get_blocks reads it). A load, no lock; called before
 * every command to a device on a block device.
 */
u64 tcm_rs_file_size(struct tcm_rs_file *tf);
/*
 * Moves @len bytes between byte @pos of @tf's file and the first @len bytes of the
 * @nents entries of @sgl: into the file if @write. 0 or -errno. A short
 * write, or a short read of a block device, is -EIO; a short read of a
 * regular file (a file not yet as long as the device) gives zeroes for the
 * rest, as LIO. May sleep. Called inside a bio submission (current->bio_list
 * set), or for a block device, it does the I/O on the module's workqueue
 * and waits for it.
 */
int tcm_rs_file_rw(struct tcm_rs_file *tf, struct scatterlist *sgl, unsigned int nents,
		   size_t len, u64 pos, bool write);

/* What tcm_rs_file_rw_async returns for a transfer left in flight. */
#define TCM_RS_FILE_PENDING 1

/*
 * As tcm_rs_file_rw, for a plain READ or WRITE, if it can be done at once
 * (the backstore ABI's read_write_nowait): a read the page cache holds,
 * when the file system can say so (IOCB_NOWAIT: ext4, XFS) or the page
 * cache is the file (tmpfs), and a write to a tmpfs file over pages it
 * holds. 0 when done; -EAGAIN when not (part of a write may have been
 * written: the caller writes all of it again). Never sleeps.
 */
int tcm_rs_file_rw_nowait(struct tcm_rs_file *tf, struct scatterlist *sgl, unsigned int nents,
			  size_t len, u64 pos, bool write);

/*
 * As tcm_rs_file_rw, for a plain READ or WRITE of a command the core lets
 * end later (the backstore ABI's read_write_async), which
 * tcm_rs_file_rw_nowait could not do: it goes to the module's per-CPU
 * workqueue, which calls tcm_rs_backstore_rw_done(@token, 0 or -errno)
 * once it is done: TCM_RS_FILE_PENDING. -EAGAIN (no memory to queue it):
 * nothing was done, the core calls tcm_rs_file_rw instead. Never waits
 * for I/O.
 */
int tcm_rs_file_rw_async(struct tcm_rs_file *tf, struct scatterlist *sgl, unsigned int nents,
			 size_t len, u64 pos, bool write, void *token);
/* The core's completion of a transfer left in flight (exported by it). */
void tcm_rs_backstore_rw_done(void *token, int err);

/*
 * Makes @len bytes from byte @pos of @tf's file durable (0: to the end),
 * vfs_fsync_range() as LIO's SYNCHRONIZE CACHE. 0 or -errno. Runs where
 * tcm_rs_file_rw would.
 */
int tcm_rs_file_sync(struct tcm_rs_file *tf, u64 pos, u64 len);
/*
 * Deallocates @len bytes from byte @pos of @tf's file: a hole punched in a file
 * (FALLOC_FL_PUNCH_HOLE, the size kept), a discard on a block device. 0 or
 * -errno. Runs where tcm_rs_file_rw would.
 */
int tcm_rs_file_unmap(struct tcm_rs_file *tf, u64 pos, u64 len);

#endif
