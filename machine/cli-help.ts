/** The text of `godwit --help`. Keep it in step with machine/config.ts and README.md. */
export const USAGE = `Usage: godwit [options]          run a machine
       godwit demo [options]     boot the bundled Linux, restore it mid-boot across configurations (npm start)
       godwit snapshot inspect|diff|verify|convert ...
                                 look at, compare, check, convert snapshots (godwit snapshot --help)
       godwit --help | --version

godwit is a deterministic headless x86 PC emulator. Options follow QEMU's where the concept is the same.

Machine:
  -m SIZE                 RAM, in MiB unless suffixed (128, 128M, 1G, size=128M); default 128 MiB
  -smp N                  number of CPUs (1..8); default 1
  -machine kernel-irqchip=on|split|off
                          interrupt controllers in the "kernel" or in userspace (also -M pc,...)
  -cpu [godwit,]OPTS      vendor=GenuineIntel|AuthenticAMD|<12 chars>, +FEAT / -FEAT / FEAT=on|off for
                          tsc pse pge msr cx8 cmov apic, leaf15=on (CPUID 0x15 TSC/crystal ratio)
  -rtc base=YYYY-MM-DDTHH:MM:SS
                          RTC time at start, UTC; default 2026-01-01T00:00:00
  -icount shift=N[,rr=record|replay,rrfile=PATH][,sleep=on|off]
                          each instruction takes 2^N ns of guest time (0..10); default 0; rr= records
                          console input and system_reset with the instruction at which they entered,
                          or replays such a log exactly; sleep=on paces an idle guest to host time
  -device isa-debug-exit[,iobase=0xf4,iosize=4]
  -device pc-testdev      both present by default
  -no-reboot              end the run when the guest resets

Boot:
  -kernel PATH            multiboot v1 kernel (ELF or a.out kludge) or Linux bzImage
  -initrd PATH[ ARGS][,PATH...]
                          multiboot modules (with their strings), or the Linux initrd (concatenated)
  -append STRING          kernel command line

Input and output:
  -serial stdio|mon:stdio|file:PATH|none|unix:PATH,server[,nowait]|tcp:[HOST]:PORT,server[,nowait]
                          COM1's host end; default stdio: stdout, and stdin as input (raw on a
                          terminal; C-a x quits, C-a h helps, C-a C-a sends C-a)
  -nographic              COM1 on stdio, Ctrl-C goes to the guest
  -display none, -monitor none
                          accepted and ignored (godwit is headless)
  -qmp unix:PATH,server[,wait=off] | tcp:[HOST]:PORT,server[,wait=off]
                          QMP, as QEMU 7.2 speaks it (README.md: "Driving godwit")
  -S                      start stopped (QMP's cont starts it)
  -name NAME              the name query-name reports

Runs:
  --max-insns N           stop after N instructions since power-on (exit status 0)
  --stats PATH            write run figures as JSON at exit (instructions, virtual time, RAM and
                          serial hashes, exit status); after -incoming, totals since power-on
  --stop-at N --save PATH stop after exactly N instructions since power-on, write a snapshot to PATH
                          (atomically) and exit 0
  --base EARLIER          with -incoming file:EARLIER and --save: write a diff snapshot, holding only
                          the RAM pages written since EARLIER (device state whole); -incoming follows
                          a diff's bases, godwit snapshot merge flattens them
  -incoming file:PATH     restore a snapshot into the machine the other options describe and run on;
                          kernel-irqchip may differ (filters convert the state), RAM size, CPUs, CPU
                          model and icount shift may not; -kernel is ignored
  -incoming defer         wait for QMP's migrate-incoming

Demo (godwit demo [-machine kernel-irqchip=SRC] [-m SIZE] [-smp N] [--stop-at N] [--save PATH] [-serial none]):
  boots the bundled Linux (2 CPUs) with a virtio-blk disk under a snapshot=on overlay straight through,
  showing its console, then again to instruction N (default: half-way), saves a snapshot and restores
  it into machines like the source, with the other kernel-irqchip settings, with the split disk shape
  (virtio-pci + virtio-blk) and with both changed; exit status 0 when every restored run matches the
  uninterrupted one, 1 otherwise. The source is kernel-irqchip=on (default) with virtio-blk-pci.

Exit status: (v << 1) | 1 when the guest writes v to isa-debug-exit (port 0xF4); 0 at --max-insns,
after --save, on SIGINT, SIGTERM and SIGHUP (as QEMU), QMP's quit and C-a x; non-zero for a triple
fault or a halted machine; 1 for a snapshot that cannot be read, restored or written (or a run that ends before --stop-at); 2 for a bad command line; 3 for an
internal error (GODWIT_DEBUG=1 prints its stack).
`;
