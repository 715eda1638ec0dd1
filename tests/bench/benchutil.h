/* benchutil.h - small helpers the benchmarks share: loopback UDP sockets,
 * per-thread CPU accounting, reading the port out of an SDP, and a fatal
 * error that still prints the RESULT line the test runner reads. */
#ifndef TANDEM_BENCH_BENCHUTIL_H
#define TANDEM_BENCH_BENCHUTIL_H

#include <netinet/in.h>
#include <stdint.h>

/* Print "PROGRAM: what: strerror(errno)", a failing RESULT line, exit 1. */
_Noreturn void bench_die(const char *what);
/* A non-blocking UDP socket bound to 127.0.0.1 on a kernel-chosen port. */
int bench_udp_lo(uint16_t *port);
void bench_lo_addr(struct sockaddr_in *sa, uint16_t port);
/* CPU nanoseconds of this process's threads whose name starts with prefix. */
uint64_t bench_threads_cpu_ns(const char *prefix);
/* The same, and in *wait_ns the time they were runnable but waited for a
 * CPU (the second field of schedstat: how busy the machine was). */
uint64_t bench_threads_sched_ns(const char *prefix, uint64_t *wait_ns);
/* Set the nice value of this process's threads whose name starts with
 * prefix (Linux: per thread); returns how many took it (0 when not
 * allowed). */
int bench_threads_nice(const char *prefix, int nice);
/* The same with SCHED_FIFO at priority prio. */
int bench_threads_fifo(const char *prefix, int prio);
/* $BENCH_RT: a SCHED_FIFO priority (1..99) for the measured threads instead
 * of a nice value, so that other jobs on a shared machine do not delay them
 * at all (they still get the other CPUs, and the kernel's RT throttling
 * keeps 5 % of each); 0 (default): nice. */
int bench_rt(void);
/* The nice value benchmarks give their measured and generating threads on
 * a shared machine: $BENCH_NICE, default -10 (as tests/bench/cps.sh). */
int bench_nice(void);
/* The port of the first m=audio line, 0 when there is none. */
uint16_t bench_sdp_port(const char *sdp);

#endif
