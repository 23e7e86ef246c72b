// SPDX-License-Identifier: GPL-2.0
/*
 * A count kept per CPU; see loop_count.h.
 */
#include <linux/percpu.h>
#include <linux/cpumask.h>

#include "loop_count.h"

/*
 * The parts are `long`s in per-CPU memory; Rust holds the per-CPU address
 * as a plain pointer and passes it back, never dereferencing it.
 */
long *tcm_rs_loop_count_alloc(void)
{
	return (long __force *)alloc_percpu(long);
}

void tcm_rs_loop_count_free(long *count)
{
	free_percpu((long __percpu __force *)count);
}

void tcm_rs_loop_count_inc(long *count)
{
	this_cpu_inc(*(long __percpu __force *)count);
}

void tcm_rs_loop_count_dec(long *count)
{
	smp_mb();
	this_cpu_dec(*(long __percpu __force *)count);
	smp_mb();
}

long tcm_rs_loop_count_sum(long *count)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr((long __percpu __force *)count, cpu));
	return sum;
}
