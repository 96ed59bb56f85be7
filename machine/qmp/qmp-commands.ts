/**
 * The QMP commands godwit answers, each with its arguments (checked by qmp-args.ts) and what it
 * does to the target: the run session, the machine and the migration control that the CLI wires
 * together (QmpTarget). Results are shaped as QEMU 7.2's (the QMP comparison test checks them).
 */
import type { JsonObject, JsonValue } from './qmp-json.ts';
import type { ArgsSpec } from './qmp-args.ts';
import { QmpError } from './qmp-error.ts';
import type { VmStatus } from '../run-session.ts';

/** Migration as QMP drives it (machine/migration-control.ts). */
export interface QmpMigration {
  migrate(uri: string): void;
  incoming(uri: string): void;
  cancel(): void;
  query(): JsonObject;
  capabilities(): JsonObject[];
  setCapability(name: string, state: boolean): void;
}

/** What QMP commands act on. Methods throw QmpError (or SessionError, reported as GenericError). */
export interface QmpTarget {
  readonly version: { major: number; minor: number; micro: number; package: string };
  /** `-name`, or null. */
  readonly name: string | null;
  status(): VmStatus;
  stop(): void;
  cont(): void;
  reset(): void;
  quit(): void;
  /** One entry per CPU: index, object path, host thread id. */
  cpus(): { index: number; qomPath: string; threadId: number }[];
  readonly migration: QmpMigration;
}

export interface QmpCommand {
  args: ArgsSpec;
  run(target: QmpTarget, args: Record<string, unknown>): JsonValue;
}

/** Migration capabilities QEMU 7.2 lists; godwit can turn on only `events`. */
export const MIGRATION_CAPABILITIES = [
  'xbzrle', 'rdma-pin-all', 'auto-converge', 'zero-blocks', 'compress', 'events', 'postcopy-ram', 'x-colo', 'release-ram',
  'block', 'return-path', 'pause-before-switchover', 'multifd', 'dirty-bitmaps', 'postcopy-blocktime', 'late-block-activate',
  'x-ignore-shared', 'validate-uuid', 'background-snapshot', 'zero-copy-send', 'postcopy-preempt',
] as const;

function statusText(status: VmStatus): string {
  // HMP's `info status`, as QEMU prints it.
  if (status === 'running') return 'VM status: running\r\n';
  if (status === 'paused') return 'VM status: paused\r\n';
  return `VM status: paused (${status})\r\n`;
}

/** The HMP commands human-monitor-command understands (QEMU's text answers). */
function humanMonitor(target: QmpTarget, line: string): string {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return '';
  const [cmd, arg] = words;
  if (cmd === 'info' && arg === 'status') return statusText(target.status());
  if (cmd === 'info' && arg === 'version') return `${target.version.major}.${target.version.minor}.${target.version.micro}${target.version.package}\r\n`;
  if (cmd === 'info' && arg === 'name') return target.name === null ? '' : `${target.name}\r\n`;
  if (cmd === 'info') return `info ${arg ?? ''}: godwit's monitor knows only info status, info version, info name\r\n`;
  return `unknown command: '${cmd}'\r\n`;
}

export const QMP_COMMANDS: Readonly<Record<string, QmpCommand>> = {
  'query-version': {
    args: {},
    run: (t) => ({ qemu: { micro: t.version.micro, minor: t.version.minor, major: t.version.major }, package: t.version.package }),
  },
  'query-commands': {
    args: {},
    run: () => [...Object.keys(QMP_COMMANDS), 'qmp_capabilities'].map((name) => ({ name })),
  },
  'query-status': {
    args: {},
    run: (t) => {
      const status = t.status();
      return { status, singlestep: false, running: status === 'running' };
    },
  },
  'query-name': {
    args: {},
    run: (t) => (t.name === null ? {} : { name: t.name }),
  },
  'query-cpus-fast': {
    args: {},
    run: (t) =>
      t.cpus().map((c) => ({
        'thread-id': c.threadId,
        props: { 'core-id': 0, 'thread-id': 0, 'socket-id': c.index },
        'qom-path': c.qomPath,
        'cpu-index': c.index,
        target: 'i386',
      })),
  },
  stop: {
    args: {},
    run: (t) => (t.stop(), {}),
  },
  cont: {
    args: {},
    run: (t) => (t.cont(), {}),
  },
  system_reset: {
    args: {},
    run: (t) => (t.reset(), {}),
  },
  system_powerdown: {
    args: {},
    run: () => {
      // QEMU's pc has ACPI and sends POWERDOWN to the guest's power button; godwit's has none.
      throw new QmpError('GenericError', 'system_powerdown: this machine has no ACPI power button (use quit, or a guest poweroff through isa-debug-exit)');
    },
  },
  quit: {
    args: {},
    run: (t) => (t.quit(), {}),
  },
  'human-monitor-command': {
    args: { 'command-line': { type: 'string' }, 'cpu-index': { type: 'integer', optional: true } },
    run: (t, a) => humanMonitor(t, a['command-line'] as string),
  },
  migrate: {
    args: {
      uri: { type: 'string' },
      blk: { type: 'boolean', optional: true },
      inc: { type: 'boolean', optional: true },
      detach: { type: 'boolean', optional: true },
      resume: { type: 'boolean', optional: true },
    },
    run: (t, a) => {
      if (a['blk'] === true || a['inc'] === true) throw new QmpError('GenericError', 'block migration is not supported (godwit saves the machine, not its disks)');
      if (a['resume'] === true) throw new QmpError('GenericError', 'Cannot resume if there is no paused migration');
      t.migration.migrate(a['uri'] as string);
      return {};
    },
  },
  'migrate-incoming': {
    args: { uri: { type: 'string' } },
    run: (t, a) => (t.migration.incoming(a['uri'] as string), {}),
  },
  migrate_cancel: {
    args: {},
    run: (t) => (t.migration.cancel(), {}),
  },
  'query-migrate': {
    args: {},
    run: (t) => t.migration.query(),
  },
  'migrate-set-capabilities': {
    args: {
      capabilities: {
        type: 'array',
        members: { capability: { type: 'string', values: MIGRATION_CAPABILITIES }, state: { type: 'boolean' } },
      },
    },
    run: (t, a) => {
      const caps = a['capabilities'] as { capability: string; state: boolean }[];
      for (const c of caps) {
        if (c.state && c.capability !== 'events') throw new QmpError('GenericError', `Migration capability '${c.capability}' is not supported by godwit (only events)`);
      }
      for (const c of caps) t.migration.setCapability(c.capability, c.state);
      return {};
    },
  },
  'query-migrate-capabilities': {
    args: {},
    run: (t) => t.migration.capabilities(),
  },
};
