// SPDX-License-Identifier: GPL-2.0
/*
 * What an atomic add costs when two CPUs share the counter, against one
 * each: the price of a counter every command writes from every CPU (a
 * reference count, a task set's count). One thread per CPU, pinned, each
 * adding ITERATIONS times to one shared counter, then to counters of
 * their own on separate cache lines; prints the time per add of each.
 *
 * Then how much work the CPUs do together: plain adds to a thread's own
 * counter (no atomic, nothing shared), by one CPU alone and by every CPU
 * at once. On hardware every CPU keeps its speed; under an emulator on
 * few host cores a busy second vCPU may add far less than a CPU, and a
 * workload that keeps every vCPU busy (two fio jobs) is then bounded by
 * what they give together, not by what each command costs.
 *
 *   atomics ITERATIONS
 *
 * Built and run in the guest by atomics.sh.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS 64

static _Alignas(64) atomic_long shared;
static struct {
	_Alignas(64) atomic_long value;
} own[MAX_CPUS];
static long iterations;
static enum { SHARED, OWN, PLAIN } mode;

static void *adder(void *arg)
{
	long cpu = (long)arg;
	atomic_long *counter = mode == SHARED ? &shared : &own[cpu].value;
	/* A plain load and store each time, not folded into one add. */
	volatile long *plain = (volatile long *)&own[cpu].value;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
	if (mode == PLAIN)
		for (long i = 0; i < iterations; i++)
			*plain += 1;
	else
		for (long i = 0; i < iterations; i++)
			atomic_fetch_add(counter, 1);
	return NULL;
}

/* The wall time per add, in ns, of CPUS CPUs adding at once. */
static double run(int cpus)
{
	pthread_t threads[MAX_CPUS];
	struct timespec start, end;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < cpus; i++)
		pthread_create(&threads[i], NULL, adder, (void *)i);
	for (int i = 0; i < cpus; i++)
		pthread_join(threads[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &end);
	return ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / iterations;
}

int main(int argc, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (argc != 2 || (iterations = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: atomics ITERATIONS\n");
		return 2;
	}
	if (cpus > MAX_CPUS)
		cpus = MAX_CPUS;
	mode = SHARED;
	printf("%ld CPUs, one counter shared: %.1f ns an add\n", cpus, run(cpus));
	mode = OWN;
	printf("%ld CPUs, a counter each: %.1f ns an add\n", cpus, run(cpus));
	mode = PLAIN;
	/* Ten times as many: long enough that starting the threads is noise. */
	iterations *= 10;
	{
		double alone = run(1), all = run(cpus);

		printf("plain adds: %.1f ns each, one CPU busy; %.1f ns, %ld busy: together %.2f CPUs' work\n",
		       alone, all, cpus, cpus * alone / all);
	}
	return 0;
}
