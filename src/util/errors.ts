/** Error classes with a literal name and a type guard, each naming the path or field at fault. */

/** Snapshot or state tree content that cannot be accepted (bad type, range, missing field...). */
export class StateError extends Error {
  override readonly name = 'StateError' as const;
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}
export function isStateError(e: unknown): e is StateError {
  return e instanceof Error && e.name === 'StateError';
}

/** A machine configuration or command line that cannot be built. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError' as const;
}
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof Error && e.name === 'ConfigError';
}

/** A wiring mistake inside the emulator (overlapping MMIO ranges, a port registered twice). */
export class WiringError extends Error {
  override readonly name = 'WiringError' as const;
}
export function isWiringError(e: unknown): e is WiringError {
  return e instanceof Error && e.name === 'WiringError';
}
