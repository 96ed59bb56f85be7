/**
 * The CLI's failures, one type per exit status (README.md, "Exit status"), and the helpers that turn
 * an error into the one line the CLI prints. No Node API: the CLI's logic runs in tests.
 *
 *   1  CliFailure   a snapshot that cannot be read, restored or written; a run that ends before
 *                   --stop-at; an output that cannot be written (serial file, --stats, standard
 *                   output); `godwit snapshot diff` also exits 1 when the files differ, as diff does
 *   2  ConfigError  a bad command line or configuration (src/util/errors.ts: the option parser and
 *                   the loaders throw it)
 *   3  InternalError, or any other exception: the emulator itself is wrong
 */
import { ConfigError, isConfigError, isStateError } from '../src/util/errors.ts';
import { isFilterError } from '../migration/filters/filter-error.ts';
import { isSnapshotMismatchError } from '../migration/mismatch-error.ts';

export { ConfigError, isConfigError };

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/** Exit status 1: a snapshot that cannot be read, restored or written, or an output that cannot be written. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure' as const;
}

export function isCliFailure(e: unknown): e is CliFailure {
  return e instanceof Error && e.name === 'CliFailure';
}

/** Exit status 3: something the emulator should never do (a front end whose machine cannot save). */
export class InternalError extends Error {
  override readonly name = 'InternalError' as const;
}

/** The exit status an error ends the CLI with. */
export function exitStatusOf(e: unknown): number {
  if (isCliFailure(e)) return EXIT_FAILURE;
  if (isConfigError(e)) return EXIT_USAGE;
  return EXIT_INTERNAL;
}

/** The first line of an error's message. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

/**
 * Why a file operation failed, in a few words: the error's own `reason` (`not a regular file (a
 * FIFO)`, `a read-only file (mode 0444)`), its `code` (`ENOENT`), or its first line.
 */
export function ioReason(e: unknown): string {
  const { code, kind, reason } = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; kind?: unknown; reason?: unknown };
  if (typeof reason === 'string') return reason;
  if (code === 'ENOTREG') return `not a regular file${typeof kind === 'string' ? ` (${kind})` : ''}`;
  if (typeof code === 'string') return code;
  return firstLine(e).trim();
}

/** True for what a restore throws about the snapshot (SnapshotMismatchError, FilterError, StateError). */
export function isRestoreError(e: unknown): boolean {
  return isSnapshotMismatchError(e) || isFilterError(e) || isStateError(e);
}

/** A restore error on one line: every problem of a mismatch or a filter failure, joined by `; `. */
export function restoreErrorLine(e: unknown): string {
  if (isSnapshotMismatchError(e)) return `does not fit the destination: ${e.problems.join('; ')}`;
  if (isFilterError(e)) return e.problems.join('; ');
  return firstLine(e);
}

/**
 * What the CLI prints for an error that ends it: `PREFIX: message` for a failure (all of its lines:
 * a mismatch lists its problems below), `PREFIX: first line` for a configuration error, and
 * `godwit: internal error: first line` for anything else, with the stack when GODWIT_DEBUG=1.
 */
export function errorText(e: unknown, prefix: string, env: Readonly<Record<string, string | undefined>>): string {
  switch (exitStatusOf(e)) {
    case EXIT_FAILURE:
      return `${prefix}: ${(e as Error).message}\n`;
    case EXIT_USAGE:
      return `${prefix}: ${firstLine(e)}\n`;
    default: {
      const stack = env['GODWIT_DEBUG'] === '1' && e instanceof Error && e.stack !== undefined ? `\n${e.stack}` : '';
      return `godwit: internal error: ${firstLine(e)}${stack}\n`;
    }
  }
}
