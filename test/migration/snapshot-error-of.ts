/** What a decode that must fail threw: the SnapshotError's code, where and message (tests only). */
import { isSnapshotError, type SnapshotErrorCode } from '../../migration/snapshot-error.ts';

export function snapshotErrorOf(run: () => unknown): { code: SnapshotErrorCode; where: string; message: string } {
  try {
    run();
  } catch (e) {
    if (isSnapshotError(e)) return { code: e.code, where: e.where, message: e.message };
    throw e;
  }
  throw new Error('expected a SnapshotError, decoding succeeded');
}
