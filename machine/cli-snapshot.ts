/**
 * `godwit snapshot ...`: look at, compare, check and convert snapshot files without running a guest.
 *
 *   godwit snapshot inspect FILE [--json]    tree, types, versions, sizes; --json: the pure-JSON export
 *   godwit snapshot diff A B                 what differs, with values (exit 1 when they differ)
 *   godwit snapshot verify FILE              header, checksums, schemas, every object's fields
 *   godwit snapshot convert FILE --to "MACHINE OPTIONS" -o OUT
 *                                            rewrite for a machine configured differently
 *   godwit snapshot commit FILE --drive ID -o IMAGE [--base PATH]
 *                                            a snapshot=on drive's disk (image + overlay) as a raw image
 *   godwit snapshot merge DIFF -o FLAT       a diff snapshot and its bases as one full snapshot
 *
 * Exit status (cli-errors.ts): 0 done; 1 (CliFailure) a bad or unreadable snapshot, or one that cannot
 * be converted or written (one line `godwit snapshot CMD: FILE: what and where`); 2 (ConfigError) a
 * bad command line. A command returns what it prints on standard output, which runSnapshotCommand
 * writes once the command has succeeded.
 */
import { isStateError } from '../src/util/errors.ts';
import { decodeSnapshotFile, type StoredBlob } from '../migration/decode.ts';
import { DEFAULT_LIMITS } from '../migration/limits.ts';
import { BLOB_CHUNKED_DIFF, VALUES_SINCE_VERSION } from '../migration/header.ts';
import { storedPageCount } from '../migration/sparse-blob.ts';
import { readSnapshotChain } from './snapshot-chain.ts';
import { diffBaseLines, mergeChain } from './cli-snapshot-chain.ts';

/** Blob encodings by number (migration/header.ts), as `snapshot inspect` names them. */
const BLOB_ENCODING_NAMES: readonly string[] = ['raw', 'sparse', 'chunked', 'chunked diff'];
import { encodeSnapshot } from '../migration/encode.ts';
import { describeSnapshot, formatSnapshotSummary } from '../migration/inspect.ts';
import { diffSnapshots, formatSnapshotDiff } from '../migration/snapshot-diff.ts';
import { exportSnapshotJson } from '../migration/json-export.ts';
import { isSnapshotError } from '../migration/snapshot-error.ts';
import type { JsonObject, Snapshot } from '../migration/snapshot.ts';
import { isSnapshotMismatchError } from '../migration/mismatch-error.ts';
import type { CliDeps } from './cli-run.ts';
import { parseCommandLine } from './config.ts';
import { devicesFromStrings } from './device-table.ts';
import type { KernelIrqchip } from './machine-config.ts';
import { defaultOptions, type Options } from './options.ts';
import { readMachineConfig } from './read-config.ts';
import { recordedDrives, standInDrives } from './stand-in-drives.ts';
import { commitDrive } from './cli-snapshot-commit.ts';
import { formatDriveSpec, type DriveSpec } from './drive.ts';
import { driveLines } from './drive-summary.ts';
import { snapshotFilesOf, snapshotMachineOf } from './cli-snapshot-io.ts';
import {
  bootRecordOf,
  defaultFilterRegistry,
  jsonAt,
  prepareMachineRestore,
  restoreSnapshot,
  saveSnapshot,
  type SnapshotMachine,
} from './snapshot.ts';
import { configValueProblems } from './snapshot-config.ts';
import { RUN_SERIAL_KEY, SerialDigest } from './serial-digest.ts';
import {
  CliFailure,
  ConfigError,
  EXIT_FAILURE,
  EXIT_USAGE,
  errorText,
  exitStatusOf,
  firstLine,
  ioReason,
  isConfigError,
  isRestoreError,
  restoreErrorLine,
} from './cli-errors.ts';

export const SNAPSHOT_USAGE = `Usage: godwit snapshot inspect FILE [--json]
       godwit snapshot diff A B
       godwit snapshot verify FILE
       godwit snapshot convert FILE --to "MACHINE OPTIONS" -o OUT
       godwit snapshot commit FILE --drive ID -o IMAGE [--base PATH]
       godwit snapshot merge DIFF -o FLAT

  inspect   the objects (path, type@version, state size), byte strings, schemas, configuration and
            clock; --json prints the pure-JSON export (RAM as size, non-zero pages and hash64) for jq;
            of a diff snapshot (--save --base), also its base (path, identity, whether it is found
            and is that snapshot) and how many RAM pages the diff holds
  diff      what differs in configuration, clock, schemas and object fields, with paths and the
            values on each side (byte strings by size, hash64 and first difference; RAM by the
            differing 4 KiB pages), then a summary line; exit status 0 when the snapshots are the
            same, 1 when they differ, as diff and cmp
  verify    checks what a restore checks, against the machine the snapshot's configuration
            describes: the header, every checksum, the document, every object against its schema,
            the configuration's values, the objects and filters, the run state (scheduler turn,
            virtual time, serial digest) and the boot images (the kernel must boot again)
  convert   rewrites the snapshot for a machine with the given options (e.g. --to "-machine
            kernel-irqchip=off"; options not given keep the snapshot's values, and -device or
            -drive replace the snapshot's whole device and drive lists), prints the filter
            chain, checks that the result loads, and writes it to OUT (atomically)
  commit    writes the disk of a snapshot=on drive as a raw image: its pristine image (the recorded
            file, or --base PATH; it must be the disk the snapshot recorded) with the snapshot's
            overlay on top, to IMAGE (atomically; never over the base)
  merge     flattens a diff snapshot and the chain of bases under it into one self-contained
            snapshot, FLAT (atomically): what a full --save at the same instruction writes

  diff, verify, convert and commit read a diff snapshot whole, with its bases.

Exit status: 0 done, 1 a bad or unreadable snapshot (or no filter chain for convert, or an output
that cannot be written; for diff, also snapshots that differ), 2 a bad command line.
`;

const encoder = new TextEncoder();

/** What a command ends with: its exit status and what it prints on standard output. */
interface Outcome {
  status: number;
  stdout: string;
}

const done = (stdout: string): Outcome => ({ status: 0, stdout });

/** The snapshot in `file`, whole: a diff with its bases (snapshot-chain.ts). */
function read(deps: CliDeps, file: string): Snapshot {
  return readChecked(deps, file).snapshot;
}

function readBytes(deps: CliDeps, file: string): Uint8Array {
  try {
    return snapshotFilesOf(deps).read(file, {});
  } catch (e) {
    if (isSnapshotError(e)) throw new CliFailure(`${file}: ${firstLine(e)}`);
    // A snapshot that cannot be read is a bad snapshot (exit 1), as for -incoming.
    throw new CliFailure(`cannot read '${file}': ${ioReason(e)}`);
  }
}

/** Positional arguments and flags of a subcommand; `valued` flags take the next word. */
function splitArgs(cmd: string, args: readonly string[], flags: readonly string[], valued: readonly string[]) {
  const positional: string[] = [];
  const seen = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      if (valued.includes(name)) {
        const value = name !== a ? a.slice(eq + 1) : args[++i];
        if (value === undefined) throw new ConfigError(`${cmd}: ${name} needs an argument`);
        seen.set(name, value);
      } else if (flags.includes(a)) {
        seen.set(a, '');
      } else {
        throw new ConfigError(`${cmd}: unknown option '${a}'`);
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, seen };
}

function expectFiles(cmd: string, positional: string[], names: string[]): string[] {
  if (positional.length !== names.length) {
    throw new ConfigError(`${cmd}: expected ${names.join(' and ')}, got ${positional.length} argument(s) (see godwit snapshot --help)`);
  }
  return positional;
}

/**
 * The file's bytes, its container (header, blob table), the decoded snapshot and the stored form of
 * its byte strings (summaries from those cost what the file holds, not what it declares).
 */
function readChecked(deps: CliDeps, file: string, whole = true) {
  const bytes = readBytes(deps, file);
  try {
    const decoded = { bytes, ...decodeSnapshotFile(bytes) };
    if (!whole || decoded.snapshot.base === undefined) return decoded;
    // A diff: the snapshot with its bases under it, every file checked (summaries from it cost what
    // RAM holds, not what the diff does).
    const { snapshot } = readSnapshotChain(file, snapshotFilesOf(deps), DEFAULT_LIMITS);
    return { ...decoded, snapshot, sources: new Map<Uint8Array, StoredBlob>(), diffPaths: [] };
  } catch (e) {
    if (isSnapshotError(e) || isStateError(e)) throw new CliFailure(`${file}: ${firstLine(e)}`);
    if (typeof (e as { code?: unknown } | null)?.code === 'string') throw new CliFailure(`${file}: ${ioReason(e)}`);
    throw e;
  }
}

function inspect(deps: CliDeps, args: readonly string[]): Outcome {
  const { positional, seen } = splitArgs('inspect', args, ['--json'], []);
  const [file] = expectFiles('inspect', positional, ['FILE']) as [string];
  const { bytes, container, snapshot, sources } = readChecked(deps, file, false);
  if (seen.has('--json')) {
    return done(exportSnapshotJson(snapshot, { sources }));
  }
  const h = container.header;
  const lines = [
    `${file}: ${bytes.length} bytes, format version ${h.version}, flags 0x${h.flags.toString(16)}`,
    `sections: document ${h.jsonLength} bytes at ${h.jsonOffset}, ${h.valuesLength > 0 ? `values ${h.valuesLength} bytes at ${h.jsonOffset + h.jsonLength}, ` : ''}${h.blobCount} blob(s), ${h.blobsLength} bytes at ${h.blobsOffset}`,
  ];
  container.blobs.forEach((b, i) => {
    const encoding = BLOB_ENCODING_NAMES[b.encoding] ?? 'raw';
    lines.push(`  blob ${i}: ${encoding}, ${b.length} bytes, ${b.storedLength} stored at ${b.offset}`);
  });
  if (snapshot.base !== undefined) {
    let pages = 0;
    for (const b of container.blobs) if (b.encoding === BLOB_CHUNKED_DIFF) pages += storedPageCount(bytes.subarray(b.offset, b.offset + b.storedLength), b.encoding, b.length);
    lines.push(...diffBaseLines(deps, file, snapshot.base, pages));
  }
  lines.push(`config: ${JSON.stringify(snapshot.config)}`);
  lines.push(...driveLines(snapshot));
  lines.push(`clock.run: ${JSON.stringify(snapshot.clock.run)}`);
  return done(`${lines.join('\n')}\n${formatSnapshotSummary(describeSnapshot(snapshot, sources))}schemas: ${[...snapshot.schemas.keys()].sort().join(', ')}\n`);
}

function diff(deps: CliDeps, args: readonly string[]): Outcome {
  const { positional } = splitArgs('diff', args, [], []);
  const [a, b] = expectFiles('diff', positional, ['A', 'B']) as [string, string];
  const x = readChecked(deps, a);
  const y = readChecked(deps, b);
  const d = diffSnapshots(x.snapshot, y.snapshot, { sourcesA: x.sources, sourcesB: y.sources });
  // As diff and cmp: 0 when the snapshots are the same, 1 when they differ.
  return { status: d.equal ? 0 : EXIT_FAILURE, stdout: formatSnapshotDiff(d) };
}

function verify(deps: CliDeps, args: readonly string[]): Outcome {
  const { positional } = splitArgs('verify', args, [], []);
  const [file] = expectFiles('verify', positional, ['FILE']) as [string];
  const { container, snapshot: s } = readChecked(deps, file);
  // What a restore checks, minus a destination: against the machine the snapshot's configuration
  // describes (its RAM size, CPU count and models), not one that the command line describes.
  const { problems } = configValueProblems(s.config);
  if (problems.length > 0) throw new CliFailure(`${file}: ${problems.join('; ')}`);
  let machine: SnapshotMachine;
  try {
    const config = readMachineConfig(optionsFromSnapshotConfig(s.config), deps.io.readFile, null, standInDrives(s.config));
    machine = snapshotMachineOf(deps.createMachine(config, { serialOut() {}, log() {} }));
  } catch (e) {
    if (isConfigError(e)) throw new CliFailure(`${file}: config: the machine it describes cannot be built: ${firstLine(e)}`);
    throw e;
  }
  try {
    prepareMachineRestore(machine, s);
    if (Object.hasOwn(s.clock.run, RUN_SERIAL_KEY)) SerialDigest.fromJson(s.clock.run[RUN_SERIAL_KEY], `clock.run.${RUN_SERIAL_KEY}`);
  } catch (e) {
    if (isSnapshotMismatchError(e)) throw new CliFailure(`${file}: does not fit the machine its configuration describes: ${e.problems.join('; ')}`);
    if (isRestoreError(e)) throw new CliFailure(`${file}: ${restoreErrorLine(e)}`);
    throw e;
  }
  const sections = container.header.version >= VALUES_SINCE_VERSION ? 'document, value section' : 'document';
  return done(
    `${file}: ok (${s.objects.size} objects, ${s.schemas.size} schemas, ${container.blobs.length} blob(s); ` +
      `header, blob table, ${sections} and blob checksums match; every object fits its schema; the configuration, ` +
      'objects, run state and boot images fit the machine the snapshot describes)\n',
  );
}

/** Split `--to` text into words: whitespace separates, '...' and "..." group. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current: string | null = null;
  let quote: string | null = null;
  for (const c of text) {
    if (quote !== null) {
      if (c === quote) quote = null;
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      current ??= '';
    } else if (/\s/.test(c)) {
      if (current !== null) words.push(current);
      current = null;
    } else {
      current = (current ?? '') + c;
    }
  }
  if (quote !== null) throw new ConfigError(`convert: --to: unterminated ${quote}`);
  if (current !== null) words.push(current);
  return words;
}

/** The command-line options that rebuild a snapshot's recorded machine (defaults where it says nothing). */
export function optionsFromSnapshotConfig(config: JsonObject): Options {
  const o = defaultOptions();
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : fallback);
  const bool = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);
  o.ramBytes = num(jsonAt(config, 'm'), o.ramBytes);
  o.smp = num(jsonAt(config, 'smp'), o.smp);
  const irqchip = jsonAt(config, 'machine', 'kernel-irqchip');
  if (irqchip === 'on' || irqchip === 'split' || irqchip === 'off') o.kernelIrqchip = irqchip satisfies KernelIrqchip;
  o.icountShift = num(jsonAt(config, 'icount', 'shift'), o.icountShift);
  o.rtcBaseSeconds = num(jsonAt(config, 'rtc', 'base'), o.rtcBaseSeconds);
  const devices = jsonAt(config, 'devices');
  if (Array.isArray(devices) && devices.every((d) => typeof d === 'string')) o.devices = devicesFromStrings(devices as string[], 'config.devices');
  o.drives = recordedDrives(config).map((d) => d.spec);
  o.noReboot = bool(jsonAt(config, 'no-reboot'), o.noReboot);
  const vendor = jsonAt(config, 'cpu', 'vendor');
  if (typeof vendor === 'string') o.cpu.vendor = vendor;
  o.cpu.leaf15 = bool(jsonAt(config, 'cpu', 'leaf15'), o.cpu.leaf15);
  for (const f of Object.keys(o.cpu.features) as (keyof typeof o.cpu.features)[]) {
    o.cpu.features[f] = bool(jsonAt(config, 'cpu', 'features', f), o.cpu.features[f]);
  }
  return o;
}

/**
 * The destination's drive records: each drive as --to spells it, with the identity (size,
 * fingerprint) the source snapshot recorded for its id (the destination's disks are stand-ins).
 */
function carriedDriveRecords(source: Snapshot, drives: readonly DriveSpec[], file: string): JsonObject[] {
  const records = Array.isArray(source.config.drives) ? (source.config.drives as JsonObject[]) : [];
  return drives.map((d) => {
    const r = records.find((x) => x.id === d.id);
    if (r === undefined) throw new CliFailure(`${file}: records no drive '${d.id}' (its drives: ${records.map((x) => String(x.id)).join(', ') || 'none'})`);
    return { id: d.id, drive: formatDriveSpec(d), bytes: r.bytes!, fingerprint: r.fingerprint! };
  });
}

function convert(deps: CliDeps, args: readonly string[]): Outcome {
  const { positional, seen } = splitArgs('convert', args, [], ['--to', '-o', '--output']);
  const [file] = expectFiles('convert', positional, ['FILE']) as [string];
  const to = seen.get('--to');
  const out = seen.get('-o') ?? seen.get('--output');
  if (to === undefined) throw new ConfigError('convert: --to "MACHINE OPTIONS" is required (e.g. --to "-machine kernel-irqchip=off")');
  if (out === undefined) throw new ConfigError('convert: -o OUT is required');
  const source = read(deps, file);
  let options: Options;
  try {
    // -device or -drive in --to give the destination's whole device and drive lists (a disk in the
    // other shape), instead of adding to the snapshot's.
    const words = splitWords(to);
    const base = optionsFromSnapshotConfig(source.config);
    if (words.some((w) => ['-device', '--device', '-drive', '--drive'].includes(w))) {
      base.devices = defaultOptions().devices;
      base.drives = [];
    }
    options = parseCommandLine(words, base);
  } catch (e) {
    throw new ConfigError(`convert: --to: ${firstLine(e)}`);
  }
  if (options.command !== 'run') throw new ConfigError('convert: --to takes machine options only');
  if (options.kernel !== null || options.incomingPath !== null || options.savePath !== null || options.stopAt !== null) {
    throw new ConfigError('convert: --to takes machine options only (no -kernel, -incoming, --stop-at or --save)');
  }
  const config = readMachineConfig({ ...options, drives: options.drives.map((d) => ({ ...d, checkIdentity: false })) }, deps.io.readFile, null, standInDrives(source.config));
  const machine = snapshotMachineOf(deps.createMachine(config, { serialOut() {}, log() {} }));
  const registry = defaultFilterRegistry();
  let converted: Snapshot;
  let steps: { filter: string; path: string }[];
  try {
    // Restore into the destination machine: it proves that the converted state loads, and the
    // snapshot that machine saves is the converted one, with the destination's schemas.
    steps = [...restoreSnapshot(machine, source, registry).plan.steps];
    const run: JsonObject = {};
    for (const [k, v] of Object.entries(source.clock.run)) if (k !== 'schedulerCpu' && k !== 'schedulerLeft') run[k] = v;
    converted = saveSnapshot(machine, run, bootRecordOf(source.config));
    converted = { ...converted, config: { ...converted.config, drives: carriedDriveRecords(source, options.drives, file) } };
  } catch (e) {
    if (isRestoreError(e)) throw new CliFailure(`${file}: ${restoreErrorLine(e)}`);
    throw e;
  }
  const encoded = encodeSnapshot(converted);
  try {
    snapshotFilesOf(deps).write(out, encoded.chunks);
  } catch (e) {
    // As for --save: a snapshot that cannot be written is exit status 1.
    throw new CliFailure(`cannot write '${out}': ${ioReason(e)}`);
  }
  const irq = (c: JsonObject) => String(jsonAt(c, 'machine', 'kernel-irqchip') ?? '?');
  const lines = [
    `converted ${file} (kernel-irqchip=${irq(source.config)}) -> ${out} (kernel-irqchip=${irq(converted.config)}), ${encoded.totalLength} bytes`,
  ];
  if (steps.length === 0) {
    lines.push('filter chain: none (the snapshot fits the destination as it is)');
  } else {
    lines.push(`filter chain (${steps.length} step${steps.length === 1 ? '' : 's'}):`);
    const width = Math.max(...steps.map((s) => s.path.length));
    for (const s of steps) {
      const description = registry.get(s.filter)?.description ?? '';
      lines.push(`  ${s.path.padEnd(width)}  ${s.filter}${description === '' ? '' : `  (${description})`}`);
    }
  }
  return done(`${lines.join('\n')}\n`);
}

function commit(deps: CliDeps, args: readonly string[]): Outcome {
  const { positional, seen } = splitArgs('commit', args, [], ['--drive', '-o', '--base']);
  const [file] = expectFiles('commit', positional, ['SNAPSHOT']) as [string];
  const drive = seen.get('--drive');
  const out = seen.get('-o');
  if (drive === undefined || out === undefined) throw new ConfigError('commit: give --drive ID and -o IMAGE');
  return done(commitDrive(deps, { file, snapshot: read(deps, file), drive, out, base: seen.get('--base') ?? null }));
}

function merge(deps: CliDeps, args: readonly string[]): Outcome {
  const { positional, seen } = splitArgs('merge', args, [], ['-o', '--output']);
  const [file] = expectFiles('merge', positional, ['DIFF']) as [string];
  const out = seen.get('-o') ?? seen.get('--output');
  if (out === undefined) throw new ConfigError('merge: -o FLAT is required');
  return done(mergeChain(deps, file, out));
}

const COMMANDS: Record<string, (deps: CliDeps, args: readonly string[]) => Outcome> = { inspect, diff, verify, convert, commit, merge };

/**
 * `godwit snapshot ARGS` (argv without `snapshot`); returns the exit status. A failure or a bad
 * command line is one line `godwit snapshot CMD: ...` on stderr; anything else is thrown (an internal
 * error for runCli to report), and so is an error writing standard output (`godwit: ...`, as for
 * every command).
 */
export function runSnapshotCommand(argv: readonly string[], deps: CliDeps): number {
  const [cmd, ...args] = argv;
  const print = (text: string) => deps.io.stdout.write(encoder.encode(text));
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help' || args.includes('--help') || args.includes('-h')) {
    if (cmd === undefined) {
      deps.io.stderr(`godwit snapshot: expected a command (inspect, diff, verify, convert, commit, merge); see godwit snapshot --help\n`);
      return EXIT_USAGE;
    }
    print(SNAPSHOT_USAGE);
    return 0;
  }
  const run = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (run === undefined) {
    deps.io.stderr(`godwit snapshot: unknown command '${cmd}' (inspect, diff, verify, convert, commit, merge)\n`);
    return EXIT_USAGE;
  }
  let outcome: Outcome;
  try {
    outcome = run(deps, args);
  } catch (e) {
    const status = exitStatusOf(e);
    if (status !== EXIT_FAILURE && status !== EXIT_USAGE) throw e;
    // The command's own usage errors start with its name (`convert: --to ...`), which the prefix has.
    const named = isConfigError(e) && firstLine(e).startsWith(`${cmd}: `);
    deps.io.stderr(errorText(named ? new ConfigError(firstLine(e).slice(cmd.length + 2)) : e, `godwit snapshot ${cmd}`, deps.io.env));
    return status;
  }
  print(outcome.stdout);
  return outcome.status;
}
