/**
 * FilterError: a snapshot that no chain of filters can turn into the destination machine's state, or
 * a value a filter cannot carry into its output (docs/architecture.md sections 8 and 9). It lists every problem
 * found, each naming the object path (and field) at fault, so one error tells the whole story.
 */

export class FilterError extends Error {
  override readonly name = 'FilterError' as const;
  /** Each problem on its own, e.g. `/machine/cpu[0]/lapic.apicbase: 0x100000000 does not fit in u32`. */
  readonly problems: readonly string[];
  /** The first path at fault ('' when the problem is not about one path). */
  readonly path: string;

  constructor(problems: readonly string[], path = '') {
    super(FilterError.summary(problems));
    this.problems = [...problems];
    this.path = path;
  }

  /** The message: the problem itself, or a list (the first MESSAGE_LIMIT; `problems` has them all). */
  private static summary(problems: readonly string[]): string {
    if (problems.length === 1) return problems[0]!;
    const shown = problems.slice(0, MESSAGE_LIMIT).map((p) => `  - ${p}`);
    if (problems.length > MESSAGE_LIMIT) shown.push(`  (and ${problems.length - MESSAGE_LIMIT} more)`);
    return `${problems.length} problems:\n${shown.join('\n')}`;
  }
}

/** Problems listed in a FilterError's message; a hostile snapshot may hold thousands. */
export const MESSAGE_LIMIT = 20;

export function isFilterError(e: unknown): e is FilterError {
  return e instanceof Error && e.name === 'FilterError';
}

/** A FilterError about one field of one object: `<path>.<field>: <message>`. */
export function fieldError(path: string, field: string, message: string): FilterError {
  const at = field === '' ? path : `${path}.${field}`;
  return new FilterError([`${at}: ${message}`], path);
}
