/**
 * QEMU-style command line -> Options. Every mistake is a ConfigError with one line naming the option
 * at fault; the CLI prints it as `godwit: <message>` and exits with status 2.
 *
 * As in QEMU, `--opt` is the same as `-opt`, an option's argument is the next word, and sub-options
 * are `key=value` pairs separated by commas (a literal comma is written `,,`). The last of a repeated
 * option wins, except `-device`, which accumulates.
 */
import { ConfigError } from '../src/util/errors.ts';
import { MAX_RAM_BYTES } from '../src/memory/physical-memory.ts';
import type { CpuFeatures } from './machine-config.ts';
import type { InitrdOption, Options } from './options.ts';
import { defaultOptions } from './options.ts';
import { parseInteger, parseKeyValues, parseSize, splitCommas } from './option-syntax.ts';
import { addDeviceSpec, parseDeviceSpec } from './device-spec.ts';
import { isSocketOption, parseSocketOption } from './socket-option.ts';
import { deviceHelp, deviceType, deviceTypes } from './device-table.ts';
import { addDriveSpec, parseDriveSpec } from './drive.ts';

export { parseKeyValues, splitCommas } from './option-syntax.ts';

const MIB = 1 << 20;
const MIN_RAM_BYTES = MIB;
export const MAX_SMP = 8;
export const MAX_ICOUNT_SHIFT = 10;

interface OptionSpec {
  /** Whether the option takes an argument (the next word). */
  hasArg: boolean;
  apply(opts: Options, arg: string, name: string): void;
}

function parseMemory(opts: Options, arg: string, name: string): void {
  let bytes: number | null = null;
  for (const [key, value] of parseKeyValues(name, arg, 'size')) {
    if (key === 'size') bytes = parseSize(name, value);
    else if (key === 'slots' || key === 'maxmem') throw new ConfigError(`${name}: ${key}= (memory hotplug) is not supported`);
    else throw new ConfigError(`${name}: unknown parameter '${key}'`);
  }
  if (bytes === null) throw new ConfigError(`${name}: missing size`);
  // QEMU rounds the RAM size up; we round to whole pages.
  bytes = Math.ceil(bytes / 4096) * 4096;
  if (bytes < MIN_RAM_BYTES || bytes > MAX_RAM_BYTES) {
    throw new ConfigError(`${name}: RAM size must be between 1 MiB and ${MAX_RAM_BYTES / MIB} MiB (got ${arg})`);
  }
  opts.ramBytes = bytes;
}

function parseSmp(opts: Options, arg: string, name: string): void {
  for (const [key, value] of parseKeyValues(name, arg, 'cpus')) {
    if (key === 'cpus') opts.smp = parseInteger(name, value, 1, MAX_SMP);
    else if (key === 'sockets' || key === 'cores' || key === 'threads' || key === 'dies' || key === 'maxcpus') {
      throw new ConfigError(`${name}: ${key}= is not supported (give the number of CPUs only)`);
    } else throw new ConfigError(`${name}: unknown parameter '${key}'`);
  }
}

/** `-initrd "a args,b"`: QEMU's list; each entry is a file name, then optional arguments after a space. */
function parseInitrds(arg: string, name: string): InitrdOption[] {
  return splitCommas(arg).map((module) => {
    const space = module.indexOf(' ');
    const path = space < 0 ? module : module.slice(0, space);
    if (path === '') throw new ConfigError(`${name}: empty file name in '${arg}'`);
    return { path, module };
  });
}

function parseSerial(opts: Options, arg: string, name: string): void {
  if (arg === 'stdio') opts.serial = { kind: 'stdio' };
  else if (arg === 'mon:stdio') {
    // QEMU's mux of the monitor and the serial port; godwit has no monitor there, only the escapes.
    opts.serial = { kind: 'stdio' };
    opts.nographic = true;
  } else if (arg === 'none' || arg === 'null') opts.serial = { kind: 'none' };
  else if (arg.startsWith('file:') && arg.length > 5) opts.serial = { kind: 'file', path: arg.slice(5) };
  else if (isSocketOption(arg)) opts.serial = { kind: 'socket', socket: parseSocketOption(name, arg) };
  else throw new ConfigError(`${name}: '${arg}' is not supported (use stdio, mon:stdio, file:PATH, none, unix:PATH,server or tcp:HOST:PORT,server)`);
}

function parseQmp(opts: Options, arg: string, name: string): void {
  if (!isSocketOption(arg)) throw new ConfigError(`${name}: '${arg}' is not supported (use unix:PATH,server or tcp:HOST:PORT,server)`);
  opts.qmp = parseSocketOption(name, arg);
}

function parseIcount(opts: Options, arg: string, name: string): void {
  let rr: 'off' | 'record' | 'replay' = 'off';
  let rrfile: string | null = null;
  for (const [key, value] of parseKeyValues(name, arg, 'shift')) {
    if (key === 'shift') {
      if (value === 'auto') throw new ConfigError(`${name}: shift=auto is not supported (godwit is always deterministic)`);
      opts.icountShift = parseInteger(`${name} shift`, value, 0, MAX_ICOUNT_SHIFT);
    } else if (key === 'sleep') {
      opts.icountSleep = parseOnOff(name, key, value);
    } else if (key === 'align' && value === 'off') {
      // Guest time never follows host time: what godwit always does.
    } else if (key === 'rr') {
      if (value !== 'off' && value !== 'record' && value !== 'replay') throw new ConfigError(`${name}: rr must be off, record or replay (got '${value}')`);
      rr = value;
    } else if (key === 'rrfile') {
      if (value === '') throw new ConfigError(`${name}: rrfile needs a path`);
      rrfile = value;
    } else if (key === 'rrsnapshot') {
      throw new ConfigError(`${name}: rrsnapshot= is not supported (replay from a snapshot with -incoming file:PATH)`);
    } else {
      throw new ConfigError(`${name}: ${key}=${value} is not supported`);
    }
  }
  if (rr === 'off') opts.rr = null;
  else if (rrfile === null) throw new ConfigError(`${name}: rr=${rr} needs rrfile=PATH`);
  else opts.rr = { mode: rr, path: rrfile };
}

function parseName(opts: Options, arg: string, name: string): void {
  for (const [key, value] of parseKeyValues(name, arg, 'guest')) {
    if (key === 'guest') opts.name = value;
    else if (key === 'process' || key === 'debug-threads') {
      // Host-side naming: nothing to do.
    } else throw new ConfigError(`${name}: unknown parameter '${key}'`);
  }
}

function parseDevice(opts: Options, arg: string, name: string): void {
  const table = deviceTypes();
  if (arg === 'help' || arg === '?') throw new ConfigError(`${name} help: the devices godwit has:\n${deviceHelp(table)}`);
  const spec = parseDeviceSpec(name, arg);
  const type = deviceType(table, spec.driver, name);
  type.check(spec, name);
  opts.devices = addDeviceSpec(opts.devices, spec, type.singleton, name);
}

/** `-drive`: a disk; with if=virtio, its virtio-blk-pci device too (machine/drive.ts). */
function parseDrive(opts: Options, arg: string, name: string): void {
  // The if=virtio drives before this one: each implied a virtio-blk-pci named as its drive.
  const virtioCount = opts.devices.filter((d) => d.driver === 'virtio-blk-pci' && d.props.size === 1 && d.props.get('drive') === d.id).length;
  const { drive, device } = parseDriveSpec(name, arg, virtioCount);
  opts.drives = addDriveSpec(opts.drives, drive, name);
  if (device !== null) opts.devices = addDeviceSpec(opts.devices, device, false, name);
}

function parseMachine(opts: Options, arg: string, name: string): void {
  for (const [key, value] of parseKeyValues(name, arg, 'type')) {
    if (key === 'type') {
      if (value !== 'pc') throw new ConfigError(`${name}: machine type '${value}' is not supported (only pc)`);
    } else if (key === 'kernel-irqchip') {
      if (value !== 'on' && value !== 'split' && value !== 'off') {
        throw new ConfigError(`${name}: kernel-irqchip must be on, split or off (got '${value}')`);
      }
      opts.kernelIrqchip = value;
    } else {
      throw new ConfigError(`${name}: unknown parameter '${key}'`);
    }
  }
}

/** `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD`, UTC, to seconds since the epoch (pure arithmetic). */
export function parseRtcBase(option: string, text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/.exec(text);
  if (m === null) {
    if (text === 'utc' || text === 'localtime') {
      throw new ConfigError(`${option}: base=${text} would read host time; give a date (base=2026-01-01T00:00:00)`);
    }
    throw new ConfigError(`${option}: invalid date '${text}' (use YYYY-MM-DDTHH:MM:SS)`);
  }
  const [year, month, day, hour, min, sec] = m.slice(1).map((s) => Number(s ?? 0)) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, min, sec);
  const check = new Date(ms);
  if (
    year < 1970 || year > 2099 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day ||
    hour > 23 || min > 59 || sec > 59
  ) {
    throw new ConfigError(`${option}: invalid date '${text}' (years 1970..2099)`);
  }
  return ms / 1000;
}

function parseRtc(opts: Options, arg: string, name: string): void {
  for (const [key, value] of parseKeyValues(name, arg, null)) {
    if (key === 'base') opts.rtcBaseSeconds = parseRtcBase(name, value);
    else if (key === 'clock' && value === 'vm') {
      // The RTC always follows virtual time.
    } else if (key === 'driftfix' && value === 'none') {
      // Nothing to fix: there is no drift.
    } else throw new ConfigError(`${name}: ${key}=${value} is not supported`);
  }
}

const CPU_FEATURES: readonly (keyof CpuFeatures)[] = ['tsc', 'pse', 'pge', 'msr', 'cx8', 'cmov', 'apic'];
/** CPU models accepted as names for godwit's one CPU model. */
const CPU_MODELS = ['godwit', 'qemu32'];

function setCpuFeature(opts: Options, name: string, feature: string, on: boolean): void {
  if (feature === 'vme') {
    if (on) throw new ConfigError(`${name}: feature 'vme' is not supported`);
    return;
  }
  if (!(CPU_FEATURES as readonly string[]).includes(feature)) {
    throw new ConfigError(`${name}: unknown CPU feature '${feature}' (known: ${CPU_FEATURES.join(', ')})`);
  }
  opts.cpu.features[feature as keyof CpuFeatures] = on;
}

function parseOnOff(option: string, key: string, value: string): boolean {
  if (value === 'on' || value === 'true' || value === 'yes') return true;
  if (value === 'off' || value === 'false' || value === 'no') return false;
  throw new ConfigError(`${option}: ${key} must be on or off (got '${value}')`);
}

function parseCpu(opts: Options, arg: string, name: string): void {
  splitCommas(arg).forEach((item, index) => {
    if (index === 0 && !item.includes('=') && !/^[+-]/.test(item)) {
      if (!CPU_MODELS.includes(item)) throw new ConfigError(`${name}: CPU model '${item}' is not supported (use ${CPU_MODELS.join(' or ')})`);
      return;
    }
    if (item.startsWith('+') || item.startsWith('-')) {
      setCpuFeature(opts, name, item.slice(1), item[0] === '+');
      return;
    }
    const eq = item.indexOf('=');
    if (eq < 0) throw new ConfigError(`${name}: expected +feature, -feature or key=value, got '${item}'`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (key === 'vendor') {
      if (!/^[\x20-\x7e]{12}$/.test(value)) throw new ConfigError(`${name}: vendor must be 12 printable ASCII characters (got '${value}')`);
      opts.cpu.vendor = value;
    } else if (key === 'leaf15') {
      opts.cpu.leaf15 = parseOnOff(name, key, value);
    } else {
      setCpuFeature(opts, name, key, parseOnOff(name, key, value));
    }
  });
}

function parseIncoming(opts: Options, arg: string, name: string): void {
  if (arg === 'defer') {
    opts.incomingDefer = true;
    opts.incomingPath = null;
    return;
  }
  if (!arg.startsWith('file:') || arg.length === 5) throw new ConfigError(`${name}: only file:PATH and defer are supported (got '${arg}')`);
  opts.incomingPath = arg.slice(5);
  opts.incomingDefer = false;
}

const OPTIONS: Record<string, OptionSpec> = {
  '-m': { hasArg: true, apply: parseMemory },
  '-smp': { hasArg: true, apply: parseSmp },
  '-kernel': { hasArg: true, apply: (o, a) => void (o.kernel = a) },
  '-initrd': { hasArg: true, apply: (o, a, n) => void (o.initrds = parseInitrds(a, n)) },
  '-append': { hasArg: true, apply: (o, a) => void (o.append = a) },
  '-serial': { hasArg: true, apply: parseSerial },
  '-icount': { hasArg: true, apply: parseIcount },
  '-no-reboot': { hasArg: false, apply: (o) => void (o.noReboot = true) },
  '-device': { hasArg: true, apply: parseDevice },
  '-drive': { hasArg: true, apply: parseDrive },
  '-machine': { hasArg: true, apply: parseMachine },
  '-M': { hasArg: true, apply: parseMachine },
  '-rtc': { hasArg: true, apply: parseRtc },
  '-cpu': { hasArg: true, apply: parseCpu },
  '-nographic': { hasArg: false, apply: (o) => void (o.nographic = true) },
  '-name': { hasArg: true, apply: parseName },
  '-display': {
    hasArg: true,
    apply: (o, a, n) => {
      if (a !== 'none') throw new ConfigError(`${n}: only 'none' is supported (godwit is headless)`);
    },
  },
  '-monitor': {
    hasArg: true,
    apply: (o, a, n) => {
      if (a !== 'none') throw new ConfigError(`${n} ${a} is not supported yet (only -monitor none)`);
    },
  },
  '-max-insns': { hasArg: true, apply: (o, a, n) => void (o.maxInsns = parseInteger(n, a, 0, Number.MAX_SAFE_INTEGER)) },
  '-stats': { hasArg: true, apply: (o, a) => void (o.statsPath = a) },
  '-stop-at': { hasArg: true, apply: (o, a, n) => void (o.stopAt = parseInteger(n, a, 0, Number.MAX_SAFE_INTEGER)) },
  '-save': { hasArg: true, apply: (o, a) => void (o.savePath = a) },
  '-base': { hasArg: true, apply: (o, a) => void (o.diffBase = a) },
  '-incoming': { hasArg: true, apply: parseIncoming },
  '-S': { hasArg: false, apply: (o) => void (o.startPaused = true) },
  '-qmp': { hasArg: true, apply: parseQmp },
  '-h': { hasArg: false, apply: (o) => void (o.command = 'help') },
  '-help': { hasArg: false, apply: (o) => void (o.command = 'help') },
  '-version': { hasArg: false, apply: (o) => void (o.command = 'version') },
};

/** Our own long options print with two dashes in messages; QEMU's with one. */
const LONG_OPTIONS = new Set(['-max-insns', '-stats', '-stop-at', '-save', '-base', '-help', '-version']);

function displayName(key: string): string {
  return LONG_OPTIONS.has(key) ? `-${key}` : key;
}

/**
 * Parse a command line (without the program name). A first word `demo` selects the demo; `help`
 * the usage text. Throws ConfigError for anything wrong. `base` gives the values of options the
 * line does not set (`godwit snapshot convert --to` starts from the snapshot's configuration).
 */
export function parseCommandLine(argv: readonly string[], base: Options = defaultOptions()): Options {
  try {
    return parseWords(argv, base);
  } catch (e) {
    // `--help` anywhere wins over a mistake elsewhere on the line.
    if (argv.some((w) => HELP_WORDS.has(w))) return { ...defaultOptions(), command: 'help' };
    throw e;
  }
}

const HELP_WORDS = new Set(['-h', '-help', '--help']);

function parseWords(argv: readonly string[], base: Options): Options {
  const opts = structuredClone(base);
  let i = 0;
  if (argv[0] === 'demo') {
    opts.command = 'demo';
    i = 1;
  } else if (argv[0] === 'help') {
    opts.command = 'help';
    return opts;
  }
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-') || word === '-' || word === '--') {
      throw new ConfigError(`unexpected argument '${word}' (options start with -; see --help)`);
    }
    // `--opt` is `-opt`, as in QEMU; `--opt=value` is also accepted.
    let key = word.startsWith('--') ? word.slice(1) : word;
    let inlineArg: string | null = null;
    const eq = key.indexOf('=');
    if (word.startsWith('--') && eq > 0) {
      inlineArg = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    const spec = OPTIONS[key];
    if (spec === undefined || !Object.hasOwn(OPTIONS, key)) {
      throw new ConfigError(`unknown option '${word}' (see --help)`);
    }
    const name = displayName(key);
    let arg = '';
    if (spec.hasArg) {
      if (inlineArg !== null) arg = inlineArg;
      else if (i + 1 < argv.length) arg = argv[++i]!;
      else throw new ConfigError(`${name} needs an argument`);
    } else if (inlineArg !== null) {
      throw new ConfigError(`${name} takes no argument`);
    }
    spec.apply(opts, arg, name);
    if (opts.command === 'help' || opts.command === 'version') return opts;
  }
  checkCombinations(opts);
  return opts;
}

/** Every drive= names a -drive, each drive serves one device, and every bus= names a device. */
function checkDrives(opts: Options): void {
  const used = new Set<string>();
  for (const d of opts.devices) {
    const drive = d.props.get('drive');
    if (drive !== undefined) {
      if (!opts.drives.some((x) => x.id === drive)) throw new ConfigError(`-device ${d.driver}: no drive '${drive}' (give -drive file=PATH,if=none,id=${drive})`);
      if (used.has(drive)) throw new ConfigError(`-device ${d.driver}: drive '${drive}' is already used by another device`);
      used.add(drive);
    }
    const bus = d.props.get('bus');
    if (bus !== undefined && !opts.devices.some((p) => p.id === bus && p.driver === 'virtio-pci')) {
      throw new ConfigError(`-device ${d.driver}: bus '${bus}' is not a -device virtio-pci,id=${bus}`);
    }
  }
  // A virtio-blk-pci without id= takes its drive's id as its name.
  const names = opts.devices.map((d) => d.id ?? (d.driver === 'virtio-blk-pci' ? d.props.get('drive') : undefined)).filter((n) => n !== undefined);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ConfigError(`-device: two devices named '${twice}' (a virtio-blk-pci without id= is named by its drive)`);
  for (const drive of opts.drives) {
    if (!used.has(drive.id)) throw new ConfigError(`-drive ${drive.id}: no device uses it (add -device virtio-blk-pci,drive=${drive.id},id=NAME)`);
  }
}

function checkCombinations(opts: Options): void {
  checkDrives(opts);
  if (opts.command === 'demo') {
    if (opts.kernel !== null || opts.initrds.length > 0 || opts.append !== null || opts.incomingPath !== null) {
      throw new ConfigError('demo chooses its own kernel: -kernel, -initrd, -append and -incoming cannot be given');
    }
  }
  if (opts.kernel === null) {
    if (opts.append !== null) throw new ConfigError('-append only allowed with -kernel');
    if (opts.initrds.length > 0) throw new ConfigError('-initrd only allowed with -kernel');
  }
  // The demo picks its own stop point unless told; it saves only when asked.
  if (opts.savePath !== null && opts.stopAt === null && opts.command !== 'demo') throw new ConfigError('--save needs --stop-at N');
  if (opts.stopAt !== null && opts.savePath === null && opts.command !== 'demo') throw new ConfigError('--stop-at needs --save PATH');
  if (opts.diffBase !== null && (opts.savePath === null || opts.command !== 'run')) throw new ConfigError('--base needs --stop-at N --save PATH');
  if (opts.diffBase !== null && opts.incomingPath === null) throw new ConfigError('--base needs -incoming file:PATH: a diff holds what changed since the snapshot the run was restored from');
  // With -incoming, -kernel (and its -initrd and -append) are accepted and ignored, as in QEMU: the
  // guest's memory comes from the snapshot.
  if (opts.command === 'run') {
    // Only QMP's cont or migrate-incoming can start such a machine (QEMU would offer its monitor).
    if (opts.startPaused && opts.qmp === null) throw new ConfigError('-S needs -qmp: nothing else could start the machine');
    if (opts.incomingDefer && opts.qmp === null) throw new ConfigError('-incoming defer needs -qmp: migrate-incoming is a QMP command');
    if (opts.incomingDefer && opts.rr !== null) throw new ConfigError('-icount rr= needs the machine state at the start: use -incoming file:PATH, not defer');
    if (opts.incomingDefer && opts.stopAt !== null) throw new ConfigError('--stop-at cannot be combined with -incoming defer');
    const s = opts.serial;
    if (s.kind === 'socket' && opts.qmp !== null && JSON.stringify(s.socket.address) === JSON.stringify(opts.qmp.address)) {
      throw new ConfigError('-serial and -qmp listen on the same socket');
    }
  }
}
