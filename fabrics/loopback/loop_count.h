/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A count kept per CPU, for the commands in flight on a loopback TPG
 * (gate.rs): each command adds and takes away on the CPU it runs on,
 * touching no cache line another CPU writes, and only a TPG that waits
 * for its commands sums the CPUs' parts. this_cpu_inc() and friends are
 * macros, which Rust cannot call.
 */
#ifndef TCM_RS_LOOP_COUNT_H
#define TCM_RS_LOOP_COUNT_H

/* A count at 0, or NULL without memory. */
long *tcm_rs_loop_count_alloc(void);
void tcm_rs_loop_count_free(long *count);
/* One more on this CPU. Any context. */
void tcm_rs_loop_count_inc(long *count);
/*
 * One less on this CPU, between two full barriers: after everything the
 * caller did before, so that whoever sees the sum reach 0 sees it all, and
 * before whatever it loads next (gate.rs's `draining`).
 */
void tcm_rs_loop_count_dec(long *count);
/*
 * The sum of every CPU's part. Exact only once nothing adds any more:
 * then it never reads 0 before the count is 0.
 */
long tcm_rs_loop_count_sum(long *count);

#endif
