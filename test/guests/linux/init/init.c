/*
 * /init of godwit's Linux guest (PID 1 in the initramfs). It checks what a small Linux system needs
 * from the emulated PC and prints one line per check on the console:
 *   mounts devtmpfs, proc and sysfs; the CPU count (affinity mask and /proc/cpuinfo); the clock
 *   source and each CPU's clock event device (the timer that wakes it); the PCI functions Linux found (vendor:device, class, whether MSI is on); a pattern
 *   written to /dev/vda, synced, read back and checksummed (skipped without a disk); a 10 ms
 *   sleep (clock_nanosleep); an integer workload on every CPU (one child pinned to each);
 * then powers off through isa-debug-exit: 0 when every check passed (exit status 1), 1 otherwise
 * (status 3).
 *
 * Mode "bench" (`godwit.mode=bench` on the kernel command line, or `bench` as an init argument)
 * writes and verifies 4 MiB on the disk and runs a 25x longer workload.
 *
 * Mode "shell" (`godwit.mode=shell`): after the mounts, installs busybox's applets as links in /bin
 * and runs its shell on the console (setsid cttyhack sh: the console becomes its controlling
 * terminal, so Ctrl-C and job control work), instead of the checks. `poweroff -f` leaves it.
 *
 * Lines starting "init: " are deterministic for a given machine and disk; lines starting "init~ "
 * carry times or other values that may differ between runs or hosts.
 */
#include "checks.h"

#define DEBUG_EXIT_PORT 0xf4

int bench;
char filebuf[16384];
static int failures;

void fail(const char *what, long err)
{
	out_str("init: FAIL ");
	out_str(what);
	out_str(" (error ");
	out_dec((int32_t)err);
	out_str(")\n");
	failures++;
}

static void mount_one(const char *type, const char *target)
{
	long r = sys_mount(type, target, type, 0, 0);
	if (r < 0) {
		fail(type, r);
		return;
	}
	out_str("init: mounted ");
	out_str(type);
	out_str(" on ");
	out_str(target);
	out_char('\n');
}

uint32_t now_us(void)
{
	struct timespec64 ts;
	if (syscall2(SYS_clock_gettime64, CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint32_t)ts.tv_sec * 1000000u + (uint32_t)ts.tv_nsec / 1000u;
}

static void report_kernel(void)
{
	static struct utsname u;
	if (syscall1(SYS_uname, &u) < 0) {
		fail("uname", -1);
		return;
	}
	out_str("init: kernel ");
	out_str(u.sysname);
	out_char(' ');
	out_str(u.release);
	out_char(' ');
	out_str(u.machine);
	out_char('\n');
}

/* The CPUs this process may run on; returns the mask (CPUs 0..31). */
static uint32_t report_cpus(void)
{
	uint32_t mask[MAX_CPUS / 32] = { 0 };
	long r = syscall3(SYS_sched_getaffinity, 0, sizeof mask, mask);
	if (r < 0) {
		fail("sched_getaffinity", r);
		mask[0] = 1;
	}
	out_str("init: cpus in affinity mask: ");
	out_udec((uint32_t)popcount32(mask[0]));
	out_char('\n');

	long n = read_file("/proc/cpuinfo", filebuf, sizeof filebuf);
	if (n < 0) {
		fail("read /proc/cpuinfo", n);
		return mask[0];
	}
	uint32_t processors = 0;
	int fpu_emulated = 0;
	for (const char *p = filebuf; *p;) {
		if (strncmp(p, "processor", 9) == 0)
			processors++;
		if (strncmp(p, "fpu\t\t: no", 9) == 0)
			fpu_emulated = 1;
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	out_str("init: processors in /proc/cpuinfo: ");
	out_udec(processors);
	out_str(fpu_emulated ? " (fpu: no, emulated)\n" : "\n");
	if (processors != (uint32_t)popcount32(mask[0]))
		fail("cpu counts disagree", (long)processors);
	return mask[0];
}

static void report_clocksource(void)
{
	long n = read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", filebuf, sizeof filebuf);
	if (n < 0) {
		fail("read current_clocksource", n);
		return;
	}
	while (n > 0 && (filebuf[n - 1] == '\n' || filebuf[n - 1] == ' '))
		filebuf[--n] = 0;
	out_str("init: clocksource: ");
	out_str(filebuf);
	out_char('\n');
}

/* Each CPU's clock event device: "lapic-deadline" or "lapic" with local APICs, "pit" without. */
static void report_clockevents(uint32_t cpus)
{
	static char path[96];
	for (uint32_t cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!(cpus & (1u << cpu)))
			continue;
		str_copy(path, "/sys/devices/system/clockevents/clockevent", sizeof path);
		size_t n = strlen(path);
		if (cpu >= 10)
			path[n++] = (char)('0' + cpu / 10);
		path[n++] = (char)('0' + cpu % 10);
		path[n] = 0;
		str_copy(path + n, "/current_device", sizeof path - n);
		long len = read_file(path, filebuf, sizeof filebuf);
		if (len < 0) {
			fail("read clockevent current_device", len);
			continue;
		}
		while (len > 0 && (filebuf[len - 1] == '\n' || filebuf[len - 1] == ' '))
			filebuf[--len] = 0;
		out_str("init: clockevent cpu");
		out_udec(cpu);
		out_str(": ");
		out_str(filebuf);
		out_char('\n');
	}
}

static void sleep_test(void)
{
	struct timespec64 req = { 0, 10 * 1000 * 1000 };
	uint32_t t0 = now_us();
	long r = syscall4(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &req, 0);
	uint32_t dt = now_us() - t0;
	if (r < 0) {
		fail("nanosleep", r);
		return;
	}
	out_str(dt >= 10000 ? "init: nanosleep 10 ms: slept at least 10 ms\n" : "init: nanosleep 10 ms: woke EARLY\n");
	if (dt < 10000)
		fail("nanosleep woke early", (long)dt);
	out_str("init~ nanosleep 10 ms took ");
	out_udec(dt);
	out_str(" us\n");
}

static void power_off(int code)
{
	out_flush();
	long r = syscall3(SYS_ioperm, DEBUG_EXIT_PORT, 4, 1);
	if (r == 0)
		outl(DEBUG_EXIT_PORT, (uint32_t)code);
	else
		fail("ioperm", r);
	out_str("init: isa-debug-exit did not stop the machine; powering off\n");
	syscall4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
	for (;;)
		syscall0(SYS_pause);
}

#define SYS_execve 11

/* godwit.mode=shell: busybox's shell on the console; returns only if it cannot be started. */
static void shell(void)
{
	static char *const env[] = {"PATH=/bin", "HOME=/", "TERM=vt100", "PS1=godwit# ", 0};
	static char *const argv[] = {"sh", "-c", "busybox --install -s /bin; exec setsid cttyhack sh -l", 0};
	out_str("init: mode: shell\n");
	out_flush();
	long r = syscall3(SYS_execve, "/bin/busybox", argv, env);
	fail("execve /bin/busybox", r);
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	out_str("init: godwit Linux guest init\n");
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "bench") == 0 || strcmp(argv[i], "godwit.mode=bench") == 0)
			bench = 1;
	mount_one("devtmpfs", "/dev");
	mount_one("proc", "/proc");
	mount_one("sysfs", "/sys");
	int cmdline = read_file("/proc/cmdline", filebuf, sizeof filebuf) >= 0;
	if (cmdline && has_token(filebuf, "godwit.mode=shell"))
		shell();
	if (cmdline && has_token(filebuf, "godwit.mode=bench"))
		bench = 1;
	out_str(bench ? "init: mode: bench\n" : "init: mode: test\n");
	report_kernel();
	uint32_t cpus = report_cpus();
	report_clocksource();
	report_clockevents(cpus);
	report_pci();
	disk_test();
	sleep_test();
	workload_test(cpus);
	out_str(failures == 0 ? "init: all checks passed\n" : "init: some checks FAILED\n");
	power_off(failures == 0 ? 0 : 1);
	return 0;
}
