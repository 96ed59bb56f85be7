/*
 * The integer workload on every CPU: one child per CPU, pinned with sched_setaffinity, reports its
 * result and the CPU it ran on (getcpu) through a pipe; the parent compares with its own result.
 */
#include "checks.h"

#define TEST_ROUNDS 20000u
#define BENCH_ROUNDS 500000u

/* The integer workload: xorshift, multiply, divide, rotate and a small table, all in 32 bits. */
static uint32_t workload(uint32_t rounds)
{
	static uint32_t table[256];
	uint32_t x = 0x12345678u, acc = 0;
	for (uint32_t i = 0; i < 256; i++)
		table[i] = i * 0x01010101u;
	for (uint32_t i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		uint32_t d = (x & 0xffff) | 1;
		acc += x / d + x % d;
		acc = (acc << 7) | (acc >> 25);
		table[x & 255] += acc;
		acc ^= table[(acc >> 8) & 255] * 2654435761u;
	}
	return acc;
}

struct child_result {
	uint32_t cpu_wanted;
	uint32_t cpu_seen;
	uint32_t result;
	int32_t error;
};

static void run_child(int fd, uint32_t cpu, uint32_t rounds)
{
	struct child_result res = { cpu, 0xffffffffu, 0, 0 };
	uint32_t mask[MAX_CPUS / 32] = { 0 };
	mask[0] = 1u << cpu;
	long r = syscall3(SYS_sched_setaffinity, 0, sizeof mask, mask);
	if (r < 0) {
		res.error = (int32_t)r;
	} else {
		res.result = workload(rounds);
		uint32_t seen = 0;
		r = syscall3(SYS_getcpu, &seen, 0, 0);
		res.cpu_seen = r < 0 ? 0xffffffffu : seen;
	}
	write_all(fd, &res, sizeof res);
	syscall1(SYS_exit_group, 0);
}

void workload_test(uint32_t cpus)
{
	uint32_t rounds = bench ? BENCH_ROUNDS : TEST_ROUNDS;
	uint32_t t0 = now_us();
	uint32_t expected = workload(rounds);
	int fds[MAX_CPUS];
	long pids[MAX_CPUS];
	int n = 0;
	for (uint32_t cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!(cpus & (1u << cpu)))
			continue;
		int p[2];
		long r = syscall1(SYS_pipe, p);
		if (r < 0) {
			fail("pipe", r);
			break;
		}
		long pid = syscall0(SYS_fork);
		if (pid < 0) {
			fail("fork", pid);
			sys_close(p[0]);
			sys_close(p[1]);
			break;
		}
		if (pid == 0) {
			sys_close(p[0]);
			run_child(p[1], cpu, rounds);
		}
		sys_close(p[1]);
		fds[n] = p[0];
		pids[n] = pid;
		n++;
	}
	/* Collect in CPU order, so the output does not depend on which child finishes first. */
	for (int i = 0; i < n; i++) {
		struct child_result res;
		long r = read_all(fds[i], &res, sizeof res);
		int status = 0;
		syscall4(SYS_wait4, pids[i], &status, 0, 0);
		sys_close(fds[i]);
		if (r != (long)sizeof res) {
			fail("child result", r);
			continue;
		}
		out_str("init: workload on cpu ");
		out_udec(res.cpu_wanted);
		if (res.error != 0) {
			out_str(": sched_setaffinity failed\n");
			fail("sched_setaffinity", res.error);
			continue;
		}
		out_str(": ran on cpu ");
		out_udec(res.cpu_seen);
		out_str(", result ");
		out_hex(res.result, 8);
		int ok = res.result == expected && res.cpu_seen == res.cpu_wanted;
		out_str(ok ? " ok\n" : " WRONG\n");
		if (!ok)
			fail("workload", (long)res.cpu_wanted);
	}
	out_str("init~ workload: ");
	out_udec(rounds);
	out_str(" rounds on ");
	out_udec((uint32_t)n);
	out_str(" cpus took ");
	out_udec(now_us() - t0);
	out_str(" us\n");
}
