/**
 * Host I/O failures as one line for people, without Node (the CLI's logic runs in tests and could
 * run elsewhere): the reason of an fs error, and OutputError for an output that cannot be written.
 */

/**
 * Why a file operation failed, in a few words: the error's own `reason` (`not a regular file (a
 * FIFO)`, `a read-only file (mode 0444)`), its `code` (`ENOENT`), or its first line.
 */
export function ioReason(e: unknown): string {
  const { code, kind, reason } = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; kind?: unknown; reason?: unknown };
  if (typeof reason === 'string') return reason;
  if (code === 'ENOTREG') return `not a regular file${typeof kind === 'string' ? ` (${kind})` : ''}`;
  if (typeof code === 'string') return code;
  return ((e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '').trim();
}

/** An output (serial file, --stats, standard output) that cannot be written: the run ends, exit 1. */
export class OutputError extends Error {
  override readonly name = 'OutputError' as const;
}

export function isOutputError(e: unknown): e is OutputError {
  return e instanceof Error && e.name === 'OutputError';
}
