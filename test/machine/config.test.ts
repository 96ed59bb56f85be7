import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseKeyValues, splitCommas } from '../../machine/config.ts';
import { defaultOptions } from '../../machine/options.ts';
import { isConfigError } from '../../src/util/errors.ts';

const MIB = 1 << 20;
const K = ['-kernel', 'k.elf'];

function fails(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(isConfigError(e), String(e)).toBe(true);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('command line defaults', () => {
  it('gives the documented defaults', () => {
    const o = parseCommandLine(K);
    expect(o).toEqual({ ...defaultOptions(), kernel: 'k.elf' });
    expect(o.ramBytes).toBe(128 * MIB);
    expect(o.smp).toBe(1);
    expect(o.kernelIrqchip).toBeUndefined();
    expect(o.serial).toEqual({ kind: 'stdio' });
    expect(o.icountShift).toBe(0);
    expect(o.devices.map((d) => d.driver)).toEqual(['isa-debug-exit', 'pc-testdev']);
    expect(o.noReboot).toBe(false);
    expect(o.rtcBaseSeconds).toBe(1767225600);
    expect(o.cpu).toEqual({
      vendor: 'GenuineIntel',
      features: { tsc: true, pse: true, pge: true, msr: true, cx8: true, cmov: true, apic: true },
      leaf15: false,
    });
    expect(o.command).toBe('run');
    expect([o.maxInsns, o.statsPath, o.stopAt, o.savePath, o.incomingPath, o.append]).toEqual([null, null, null, null, null, null]);
  });
});

describe('-m', () => {
  it.each([
    ['128', 128 * MIB],
    ['128M', 128 * MIB],
    ['128m', 128 * MIB],
    ['1G', 1024 * MIB],
    ['size=128M', 128 * MIB],
    ['size=64', 64 * MIB],
    ['2048K', 2 * MIB],
    ['1.5G', 1536 * MIB],
    ['3584', 3584 * MIB],
    ['1', MIB],
  ])('-m %s', (arg, bytes) => {
    expect(parseCommandLine([...K, '-m', arg]).ramBytes).toBe(bytes);
  });
  it('rounds up to whole pages', () => {
    expect(parseCommandLine([...K, '-m', '1050001B']).ramBytes).toBe(1052672);
  });
  it('refuses bad sizes', () => {
    expect(fails(['-m', 'lots'])).toBe("-m: invalid size 'lots' (use e.g. 128, 128M or 1G)");
    expect(fails(['-m', '128MB'])).toBe("-m: invalid size '128MB' (use e.g. 128, 128M or 1G)");
    expect(fails(['-m', '4G'])).toBe('-m: RAM size must be between 1 MiB and 3584 MiB (got 4G)');
    expect(fails(['-m', '512K'])).toBe('-m: RAM size must be between 1 MiB and 3584 MiB (got 512K)');
    expect(fails(['-m', 'size=128,maxmem=1G'])).toBe('-m: maxmem= (memory hotplug) is not supported');
    expect(fails(['-m', 'size=128,bogus=1'])).toBe("-m: unknown parameter 'bogus'");
    expect(fails(['-m', '128,256'])).toBe("-m: expected key=value, got '256'");
    expect(fails(['-m'])).toBe('-m needs an argument');
  });
});

describe('boot options', () => {
  it('-kernel, -append, -initrd with module strings and ,, escapes', () => {
    const o = parseCommandLine(['-kernel', 'vmlinuz', '-append', 'console=ttyS0 a=b', '-initrd', 'a.bin x=1,b.bin,c,,d.bin']);
    expect(o.kernel).toBe('vmlinuz');
    expect(o.append).toBe('console=ttyS0 a=b');
    expect(o.initrds).toEqual([
      { path: 'a.bin', module: 'a.bin x=1' },
      { path: 'b.bin', module: 'b.bin' },
      { path: 'c,d.bin', module: 'c,d.bin' },
    ]);
  });
  it('the last repeated option wins', () => {
    const o = parseCommandLine(['-kernel', 'a', '-kernel', 'b', '-m', '64', '-m', '32']);
    expect(o.kernel).toBe('b');
    expect(o.ramBytes).toBe(32 * MIB);
  });
  it('refuses -append/-initrd without -kernel and empty module names', () => {
    expect(fails(['-append', 'x'])).toBe('-append only allowed with -kernel');
    expect(fails(['-initrd', 'x'])).toBe('-initrd only allowed with -kernel');
    expect(fails([...K, '-initrd', 'a,,,'])).toBe("-initrd: empty file name in 'a,,,'");
  });
});

describe('-serial', () => {
  it('stdio, file:PATH, none, null', () => {
    expect(parseCommandLine([...K, '-serial', 'stdio']).serial).toEqual({ kind: 'stdio' });
    expect(parseCommandLine([...K, '-serial', 'file:out.txt']).serial).toEqual({ kind: 'file', path: 'out.txt' });
    expect(parseCommandLine([...K, '-serial', 'none']).serial).toEqual({ kind: 'none' });
    expect(parseCommandLine([...K, '-serial', 'null']).serial).toEqual({ kind: 'none' });
  });
  it('refuses other backends', () => {
    const use = '(use stdio, mon:stdio, file:PATH, none, unix:PATH,server or tcp:HOST:PORT,server)';
    expect(fails(['-serial', 'pty'])).toBe(`-serial: 'pty' is not supported ${use}`);
    expect(fails(['-serial', 'file:'])).toBe(`-serial: 'file:' is not supported ${use}`);
  });
});

describe('-icount', () => {
  it('shift=N and N', () => {
    expect(parseCommandLine([...K, '-icount', 'shift=3']).icountShift).toBe(3);
    expect(parseCommandLine([...K, '-icount', '10']).icountShift).toBe(10);
    expect(parseCommandLine([...K, '-icount', 'shift=0,sleep=off,align=off']).icountShift).toBe(0);
  });
  it('refuses out of range, auto and other parameters', () => {
    expect(fails(['-icount', 'shift=11'])).toBe('-icount shift: 11 is out of range (0..10)');
    expect(fails(['-icount', 'x'])).toBe("-icount shift: 'x' is not a number");
    expect(fails(['-icount', 'shift=auto'])).toBe('-icount: shift=auto is not supported (godwit is always deterministic)');
    expect(parseCommandLine([...K, '-icount', 'shift=1,sleep=on']).icountSleep).toBe(true);
    expect(parseCommandLine([...K]).icountSleep).toBe(null);
  });
});

describe('flags and devices', () => {
  it('-no-reboot, -nographic, -display none, -monitor none', () => {
    const o = parseCommandLine([...K, '-no-reboot', '-nographic', '-display', 'none', '-monitor', 'none']);
    expect(o.noReboot).toBe(true);
  });
  it('-device isa-debug-exit and pc-testdev: one of each, the later spec replacing the default', () => {
    for (const d of ['isa-debug-exit', 'isa-debug-exit,iobase=0xf4,iosize=4', 'isa-debug-exit,iosize=0x04', 'pc-testdev', 'driver=pc-testdev']) {
      const o = parseCommandLine([...K, '-device', d]);
      expect(o.devices.map((s) => s.driver).sort()).toEqual(['isa-debug-exit', 'pc-testdev']);
    }
    const o = parseCommandLine([...K, '-device', 'isa-debug-exit,id=exit0,iosize=4']);
    const exit = o.devices.find((s) => s.driver === 'isa-debug-exit')!;
    expect(exit.id).toBe('exit0');
    expect([...exit.props]).toEqual([['iosize', '4']]);
  });
  it('refuses other devices and parameters', () => {
    expect(fails(['-device', 'isa-debug-exit,iobase=0x501'])).toBe('-device isa-debug-exit iobase: 1281 is out of range (244..244)');
    expect(fails(['-device', 'isa-debug-exit,iosize=1'])).toBe('-device isa-debug-exit iosize: 1 is out of range (4..4)');
    expect(fails(['-device', 'isa-debug-exit,foo=x'])).toBe("-device: isa-debug-exit: unknown property 'foo'");
    expect(fails(['-device', 'isa-debug-exit,id=1x'])).toBe("-device: id '1x' must start with a letter and hold only letters, digits, '-', '.' and '_'");
    expect(fails(['-device', 'pc-testdev,x=1'])).toBe("-device: pc-testdev: unknown property 'x'");
    expect(fails(['-device', 'pc-testdev,x=1,x=2'])).toBe("-device: pc-testdev: property 'x' given twice");
    expect(fails(['-device', 'e1000'])).toBe("-device: unknown or unsupported device 'e1000' (known: isa-debug-exit, pc-testdev, virtio-blk, virtio-blk-pci, virtio-pci)");
    expect(fails(['-device', 'iobase=1'])).toBe('-device: give the device type first (-device TYPE,...)');
    expect(fails(['-device', 'isa-debug-exit,iosize=8'])).toBe('-device isa-debug-exit iosize: 8 is out of range (4..4)');
    expect(fails(['-display', 'gtk'])).toBe("-display: only 'none' is supported (godwit is headless)");
    expect(fails(['-monitor', 'stdio'])).toBe('-monitor stdio is not supported yet (only -monitor none)');
  });
});

describe('-smp and -machine', () => {
  it('-smp N and cpus=N', () => {
    expect(parseCommandLine([...K, '-smp', '4']).smp).toBe(4);
    expect(parseCommandLine([...K, '-smp', 'cpus=8']).smp).toBe(8);
  });
  it('refuses bad -smp', () => {
    expect(fails(['-smp', '0'])).toBe('-smp: 0 is out of range (1..8)');
    expect(fails(['-smp', '9'])).toBe('-smp: 9 is out of range (1..8)');
    expect(fails(['-smp', '2,sockets=2'])).toBe('-smp: sockets= is not supported (give the number of CPUs only)');
    expect(fails(['-smp', 'cpus=2,x=1'])).toBe("-smp: unknown parameter 'x'");
  });
  it('-machine kernel-irqchip=on|split|off and -M pc', () => {
    expect(parseCommandLine([...K, '-machine', 'kernel-irqchip=on']).kernelIrqchip).toBe('on');
    expect(parseCommandLine([...K, '-machine', 'pc,kernel-irqchip=split']).kernelIrqchip).toBe('split');
    expect(parseCommandLine([...K, '-M', 'type=pc,kernel-irqchip=off']).kernelIrqchip).toBe('off');
    expect(parseCommandLine([...K, '-M', 'pc']).kernelIrqchip).toBeUndefined();
  });
  it('refuses bad -machine', () => {
    expect(fails(['-machine', 'kernel-irqchip=maybe'])).toBe("-machine: kernel-irqchip must be on, split or off (got 'maybe')");
    expect(fails(['-machine', 'q35'])).toBe("-machine: machine type 'q35' is not supported (only pc)");
    expect(fails(['-M', 'pc,accel=kvm'])).toBe("-M: unknown parameter 'accel'");
  });
});

describe('-rtc', () => {
  it('base=date and date-time, UTC', () => {
    expect(parseCommandLine([...K, '-rtc', 'base=2000-01-01T00:00:00']).rtcBaseSeconds).toBe(946684800);
    expect(parseCommandLine([...K, '-rtc', 'base=2024-02-29T12:34:56']).rtcBaseSeconds).toBe(1709210096);
    expect(parseCommandLine([...K, '-rtc', 'base=2024-02-29']).rtcBaseSeconds).toBe(1709164800);
    expect(parseCommandLine([...K, '-rtc', 'base=2030-01-01T00:00:00,clock=vm,driftfix=none']).rtcBaseSeconds).toBe(1893456000);
  });
  it('refuses bad dates and host time', () => {
    expect(fails(['-rtc', 'base=2023-02-29T00:00:00'])).toBe("-rtc: invalid date '2023-02-29T00:00:00' (years 1970..2099)");
    expect(fails(['-rtc', 'base=2023-01-01T24:00:00'])).toBe("-rtc: invalid date '2023-01-01T24:00:00' (years 1970..2099)");
    expect(fails(['-rtc', 'base=yesterday'])).toBe("-rtc: invalid date 'yesterday' (use YYYY-MM-DDTHH:MM:SS)");
    expect(fails(['-rtc', 'base=utc'])).toBe('-rtc: base=utc would read host time; give a date (base=2026-01-01T00:00:00)');
    expect(fails(['-rtc', 'clock=host'])).toBe('-rtc: clock=host is not supported');
    expect(fails(['-rtc', '2020-01-01'])).toBe("-rtc: expected key=value, got '2020-01-01'");
  });
});

describe('-cpu', () => {
  it('vendor, +feat, -feat, feat=on|off, leaf15, model names', () => {
    const o = parseCommandLine([...K, '-cpu', 'godwit,vendor=AuthenticAMD,-tsc,+apic,pge=off,leaf15=on,-vme']);
    expect(o.cpu).toEqual({
      vendor: 'AuthenticAMD',
      features: { tsc: false, pse: true, pge: false, msr: true, cx8: true, cmov: true, apic: true },
      leaf15: true,
    });
    expect(parseCommandLine([...K, '-cpu', 'qemu32']).cpu.vendor).toBe('GenuineIntel');
    expect(parseCommandLine([...K, '-cpu', 'vendor=GodwitGodwit']).cpu.vendor).toBe('GodwitGodwit');
    expect(parseCommandLine([...K, '-cpu', '-cmov,-cx8,-msr,-pse']).cpu.features).toEqual({
      tsc: true, pse: false, pge: true, msr: false, cx8: false, cmov: false, apic: true,
    });
  });
  it('refuses what it does not know', () => {
    expect(fails(['-cpu', 'pentium'])).toBe("-cpu: CPU model 'pentium' is not supported (use godwit or qemu32)");
    expect(fails(['-cpu', '+vme'])).toBe("-cpu: feature 'vme' is not supported");
    expect(fails(['-cpu', '+sse'])).toBe("-cpu: unknown CPU feature 'sse' (known: tsc, pse, pge, msr, cx8, cmov, apic)");
    expect(fails(['-cpu', 'vendor=Intel'])).toBe("-cpu: vendor must be 12 printable ASCII characters (got 'Intel')");
    expect(fails(['-cpu', 'leaf15=maybe'])).toBe("-cpu: leaf15 must be on or off (got 'maybe')");
    expect(fails(['-cpu', 'godwit,tsc'])).toBe("-cpu: expected +feature, -feature or key=value, got 'tsc'");
  });
});

describe('run options', () => {
  it('--max-insns, --stats, in -- and - spellings and --opt=value', () => {
    const o = parseCommandLine([...K, '--max-insns', '1000000', '--stats', 's.json']);
    expect(o.maxInsns).toBe(1000000);
    expect(o.statsPath).toBe('s.json');
    expect(parseCommandLine([...K, '-max-insns', '0x10']).maxInsns).toBe(16);
    expect(parseCommandLine([...K, '--max-insns=5']).maxInsns).toBe(5);
    expect(parseCommandLine(['--kernel', 'x', '--m', '64']).ramBytes).toBe(64 * MIB);
  });
  it('--stop-at with --save, -incoming file:PATH (with -kernel too: the CLI ignores it, as QEMU)', () => {
    const o = parseCommandLine([...K, '--stop-at', '500', '--save', 'snap.gw']);
    expect([o.stopAt, o.savePath]).toEqual([500, 'snap.gw']);
    expect(parseCommandLine(['-incoming', 'file:snap.gw']).incomingPath).toBe('snap.gw');
    expect(parseCommandLine([...K, '-incoming', 'file:snap.gw']).incomingPath).toBe('snap.gw');
  });
  it('demo takes --stop-at and --save each on its own', () => {
    expect(parseCommandLine(['demo', '--stop-at', '7']).stopAt).toBe(7);
    expect(parseCommandLine(['demo', '--save', 'd.gw']).savePath).toBe('d.gw');
  });
  it('a base gives the values of options the line does not set', () => {
    const base = parseCommandLine(['-m', '64', '-machine', 'kernel-irqchip=on']);
    const o = parseCommandLine(['-machine', 'kernel-irqchip=off'], base);
    expect([o.ramBytes, o.kernelIrqchip]).toEqual([64 * MIB, 'off']);
    expect(base.kernelIrqchip).toBe('on');
  });
  it('refuses bad run options', () => {
    expect(fails([...K, '--max-insns', '-1'])).toBe("--max-insns: '-1' is not a number");
    expect(fails([...K, '--max-insns', '1e9'])).toBe("--max-insns: '1e9' is not a number");
    expect(fails([...K, '--stats'])).toBe('--stats needs an argument');
    expect(fails([...K, '--save', 'x'])).toBe('--save needs --stop-at N');
    expect(fails([...K, '--stop-at', '5'])).toBe('--stop-at needs --save PATH');
    expect(fails(['-incoming', 'tcp:0:4444'])).toBe("-incoming: only file:PATH and defer are supported (got 'tcp:0:4444')");
    expect(fails(['-no-reboot=1'])).toBe("unknown option '-no-reboot=1' (see --help)");
    expect(fails(['--no-reboot=1'])).toBe('-no-reboot takes no argument');
  });
  it('-S, -qmp, -name, -incoming defer, -icount rr=, socket serial ports, mon:stdio', () => {
    const o = parseCommandLine([...K, '-S', '-qmp', 'unix:/tmp/q,server,wait=off', '-name', 'guest=g1', '-serial', 'tcp::4444,server,nowait']);
    expect(o.startPaused).toBe(true);
    expect(o.qmp).toEqual({ address: { kind: 'unix', path: '/tmp/q' }, wait: false });
    expect(o.name).toBe('g1');
    expect(o.serial).toEqual({ kind: 'socket', socket: { address: { kind: 'tcp', host: '0.0.0.0', port: 4444 }, wait: false } });
    expect(parseCommandLine([...K, '-qmp', 'tcp:localhost:5,server=on']).qmp).toEqual({ address: { kind: 'tcp', host: 'localhost', port: 5 }, wait: true });
    expect(parseCommandLine(['-incoming', 'defer', '-qmp', 'unix:q,server']).incomingDefer).toBe(true);
    expect(parseCommandLine([...K, '-icount', 'shift=2,rr=record,rrfile=a.rr']).rr).toEqual({ mode: 'record', path: 'a.rr' });
    const mon = parseCommandLine([...K, '-serial', 'mon:stdio']);
    expect([mon.serial, mon.nographic]).toEqual([{ kind: 'stdio' }, true]);
    expect(fails(['-S'])).toBe('-S needs -qmp: nothing else could start the machine');
    expect(fails(['-incoming', 'defer'])).toBe('-incoming defer needs -qmp: migrate-incoming is a QMP command');
    expect(fails(['-qmp', 'unix:/tmp/q'])).toBe('-qmp: only server mode is supported: add ,server (godwit listens; it does not connect out)');
    expect(fails(['-qmp', 'stdio'])).toBe("-qmp: 'stdio' is not supported (use unix:PATH,server or tcp:HOST:PORT,server)");
    expect(fails(['-qmp', 'tcp:x:99999,server'])).toBe("-qmp: '99999' is not a TCP port (0..65535)");
    expect(fails(['-qmp'])).toBe('-qmp needs an argument');
    expect(fails([...K, '-icount', 'rr=record'])).toBe('-icount: rr=record needs rrfile=PATH');
    expect(fails([...K, '-icount', 'rr=play,rrfile=x'])).toBe("-icount: rr must be off, record or replay (got 'play')");
    expect(fails([...K, '-serial', 'unix:/tmp/s,server', '-qmp', 'unix:/tmp/s,server'])).toBe('-serial and -qmp listen on the same socket');
  });
});

describe('commands and unknown words', () => {
  it('help, --help, -h, --version, demo', () => {
    expect(parseCommandLine(['--help']).command).toBe('help');
    expect(parseCommandLine(['-h']).command).toBe('help');
    expect(parseCommandLine(['help']).command).toBe('help');
    expect(parseCommandLine(['--version']).command).toBe('version');
    expect(parseCommandLine(['-m', 'bogus-but-ignored-after-help', '--help']).command).toBe('help');
  });
  it('demo takes run options but not a kernel', () => {
    const o = parseCommandLine(['demo', '--max-insns', '10', '-serial', 'none']);
    expect(o.command).toBe('demo');
    expect(o.maxInsns).toBe(10);
    expect(fails(['demo', '-kernel', 'x'])).toBe('demo chooses its own kernel: -kernel, -initrd, -append and -incoming cannot be given');
  });
  it('names unknown options and stray words', () => {
    expect(fails(['--bogus'])).toBe("unknown option '--bogus' (see --help)");
    expect(fails(['-hda', 'disk.img'])).toBe("unknown option '-hda' (see --help)");
    expect(fails(['-__proto__'])).toBe("unknown option '-__proto__' (see --help)");
    expect(fails(['-constructor'])).toBe("unknown option '-constructor' (see --help)");
    expect(fails(['disk.img'])).toBe("unexpected argument 'disk.img' (options start with -; see --help)");
  });
});

describe('sub-option syntax', () => {
  it('splits at single commas, ,, is a comma', () => {
    expect(splitCommas('a,b,,c,')).toEqual(['a', 'b,c', '']);
    expect(parseKeyValues('-x', 'v,k=1,j=a=b', 'size')).toEqual([['size', 'v'], ['k', '1'], ['j', 'a=b']]);
  });
});
