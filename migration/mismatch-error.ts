/**
 * SnapshotMismatchError: a snapshot that the destination machine cannot take as it is and no chain of
 * filters can adapt (a different RAM size, CPU model or icount shift, a device one side lacks, a type
 * no filter knows). It lists every problem at once, each starting with the option or object path at
 * fault, so that one error tells the whole story.
 */

export class SnapshotMismatchError extends Error {
  override readonly name = 'SnapshotMismatchError' as const;
  /** One line per problem, each starting with the option or object path at fault. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? `the snapshot does not fit this machine: ${problems[0]!}`
        : `the snapshot does not fit this machine (${problems.length} problems):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.problems = [...problems];
  }
}

export function isSnapshotMismatchError(e: unknown): e is SnapshotMismatchError {
  return e instanceof Error && e.name === 'SnapshotMismatchError';
}
