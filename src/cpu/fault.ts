/**
 * Exceptions raised while an instruction executes. The instruction is abandoned with a throw of one
 * preallocated object (no stack capture), caught once around the whole batch, and then delivered
 * through the IDT. Nothing here is a host error: a guest fault is normal execution.
 */
export class CpuFault {
  vector = 0;
  errorCode = 0;
  hasErrorCode = false;
}

/** The single instance thrown for every guest exception. */
export const FAULT = new CpuFault();

/** Exceptions that push an error code. */
export function vectorHasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/** Thrown (not a guest fault) when the CPU shuts down after a triple fault. */
export class TripleFault {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}
