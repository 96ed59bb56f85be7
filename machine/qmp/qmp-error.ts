/** A QMP error response: QEMU's error class and its message (`{"error": {"class", "desc"}}`). */

export type QmpErrorClass = 'GenericError' | 'CommandNotFound';

export class QmpError extends Error {
  override readonly name = 'QmpError' as const;
  readonly errorClass: QmpErrorClass;
  constructor(errorClass: QmpErrorClass, desc: string) {
    super(desc);
    this.errorClass = errorClass;
  }
}

export function isQmpError(e: unknown): e is QmpError {
  return e instanceof Error && e.name === 'QmpError';
}
