/** machine/cli-errors.ts: one failure type per exit status, and errors as the lines the CLI prints. */
import { describe, expect, it } from 'vitest';
import {
  CliFailure,
  ConfigError,
  EXIT_FAILURE,
  EXIT_INTERNAL,
  EXIT_USAGE,
  InternalError,
  errorText,
  exitStatusOf,
  ioReason,
  isRestoreError,
  restoreErrorLine,
} from '../../machine/cli-errors.ts';
import { SnapshotMismatchError } from '../../migration/mismatch-error.ts';
import { FilterError } from '../../migration/filters/filter-error.ts';
import { StateError } from '../../src/util/errors.ts';
import { SnapshotError } from '../../migration/snapshot-error.ts';

describe('exit statuses', () => {
  it('match the README: 1 failure, 2 usage or configuration, 3 internal', () => {
    expect([EXIT_FAILURE, EXIT_USAGE, EXIT_INTERNAL]).toEqual([1, 2, 3]);
    expect(exitStatusOf(new CliFailure('cannot write snapshot'))).toBe(1);
    expect(exitStatusOf(new ConfigError('-m: bad size'))).toBe(2);
    expect(exitStatusOf(new InternalError('no save'))).toBe(3);
    expect(exitStatusOf(new TypeError('x is undefined'))).toBe(3);
    expect(exitStatusOf('a string')).toBe(3);
    // Errors that escaped the CLI's handling (a restore or container error) are internal errors.
    expect(exitStatusOf(new StateError('/machine/pit', 'bad'))).toBe(3);
    // By name, as every error type here: an error from another copy of the module counts too.
    expect(exitStatusOf(Object.assign(new Error('m'), { name: 'CliFailure' }))).toBe(1);
  });
});

describe('errorText', () => {
  it('a failure prints all its lines (a mismatch lists its problems below the first)', () => {
    expect(errorText(new CliFailure("cannot restore 's.gw': does not match:\n  -m: x\n  -smp: y"), 'godwit', {})).toBe(
      "godwit: cannot restore 's.gw': does not match:\n  -m: x\n  -smp: y\n",
    );
  });

  it('a configuration error prints its first line', () => {
    expect(errorText(new ConfigError('inspect: unknown option\nmore'), 'godwit snapshot inspect', {})).toBe('godwit snapshot inspect: inspect: unknown option\n');
  });

  it('an internal error names itself, with the stack only under GODWIT_DEBUG=1', () => {
    const e = new TypeError('cannot read properties of undefined\nsecond line');
    expect(errorText(e, 'godwit snapshot diff', {})).toBe('godwit: internal error: cannot read properties of undefined\n');
    const debug = errorText(e, 'godwit', { GODWIT_DEBUG: '1' });
    expect(debug.startsWith('godwit: internal error: cannot read properties of undefined\nTypeError: cannot read')).toBe(true);
    expect(debug).toContain('cli-errors.test.ts');
    expect(errorText('thrown text', 'godwit', {})).toBe('godwit: internal error: thrown text\n');
  });
});

describe('ioReason', () => {
  it('prefers the reason, then ENOTREG with its kind, then the code, then the first line', () => {
    expect(ioReason(Object.assign(new Error('x'), { code: 'EACCES', reason: 'a read-only file (mode 0444)' }))).toBe('a read-only file (mode 0444)');
    expect(ioReason(Object.assign(new Error('x'), { code: 'ENOTREG', kind: 'a FIFO' }))).toBe('not a regular file (a FIFO)');
    expect(ioReason(Object.assign(new Error('x'), { code: 'ENOTREG' }))).toBe('not a regular file');
    expect(ioReason(Object.assign(new Error("ENOENT: no such file, open 'a'"), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(ioReason(new Error('  disk on fire  \nat line 2'))).toBe('disk on fire');
    expect(ioReason(null)).toBe('null');
  });
});

describe('restore errors', () => {
  it('are the mismatch, filter and state errors, each on one line', () => {
    const mismatch = new SnapshotMismatchError(['-m: a', '/machine/pit: b']);
    const filter = new FilterError(['/machine/ioapic.x: c', '/machine/ioapic.y: d']);
    const state = new StateError('run.scheduler_cpu', 'e');
    for (const e of [mismatch, filter, state]) expect(isRestoreError(e), e.name).toBe(true);
    expect(isRestoreError(new SnapshotError('checksum', 'byte 72', 'f'))).toBe(false);
    expect(isRestoreError(new ConfigError('g'))).toBe(false);
    expect(restoreErrorLine(mismatch)).toBe('does not fit the destination: -m: a; /machine/pit: b');
    expect(restoreErrorLine(filter)).toBe('/machine/ioapic.x: c; /machine/ioapic.y: d');
    expect(restoreErrorLine(state)).toBe('run.scheduler_cpu: e');
  });
});
