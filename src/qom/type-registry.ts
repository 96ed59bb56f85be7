/**
 * The registry of object types (docs/architecture.md section 3): each type name with its current state version
 * and, optionally, a factory. The machine creates one; there is no global instance. Snapshots use it
 * to know which (type, version) pairs this build can load.
 */
import { WiringError } from '../util/errors.ts';

/** Type names: lowercase letters, digits and `-`, `_`, `.`, starting with a letter or digit. */
const TYPE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export interface RegisteredType<F> {
  readonly name: string;
  /** Current state version of the type. */
  readonly version: number;
  readonly factory: F | undefined;
}

export function isValidTypeName(name: string): boolean {
  return name.length <= 64 && TYPE_NAME.test(name);
}

/** `F` is whatever the machine's factories look like; the registry only stores them. */
export class TypeRegistry<F = unknown> {
  private readonly types = new Map<string, RegisteredType<F>>();

  /** Registers a type; registering a name twice or a malformed name/version is a WiringError. */
  register(name: string, version: number, factory?: F): void {
    if (!isValidTypeName(name)) throw new WiringError(`bad type name ${JSON.stringify(name)}`);
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new WiringError(`type ${name}: bad state version ${version}`);
    }
    if (this.types.has(name)) throw new WiringError(`type ${name} registered twice`);
    this.types.set(name, { name, version, factory });
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  get(name: string): RegisteredType<F> | undefined {
    return this.types.get(name);
  }

  /** The current state version of a registered type; an unknown type is a WiringError. */
  version(name: string): number {
    const type = this.types.get(name);
    if (type === undefined) throw new WiringError(`unknown type ${JSON.stringify(name)}`);
    return type.version;
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.types.keys()].sort(compareStrings);
  }
}

/** Code-unit order, independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
