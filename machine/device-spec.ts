/**
 * `-device DRIVER[,id=NAME][,PROP=VALUE...]` as QEMU spells it (`driver=DRIVER` is accepted too), as
 * plain data: what the user asked for, before the device table (device-table.ts) checks the driver
 * and its properties and builds it.
 */
import { ConfigError } from '../src/util/errors.ts';
import { parseKeyValueItems, splitCommas } from './option-syntax.ts';

export interface DeviceSpec {
  readonly driver: string;
  /** `id=`: the device's name, its object path is /machine/peripheral/<id>; null without one. */
  readonly id: string | null;
  /** Every other property, in the order given. */
  readonly props: ReadonlyMap<string, string>;
}

/** QEMU's rule for ids: a letter, then letters, digits, `-`, `.` and `_`. */
const ID = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

export function parseDeviceSpec(option: string, text: string): DeviceSpec {
  const items = splitCommas(text);
  const first = items[0] ?? '';
  const named = first.startsWith('driver=');
  const driver = named ? first.slice('driver='.length) : first;
  if (driver === '' || driver.includes('=')) throw new ConfigError(`${option}: give the device type first (-device TYPE,...)`);
  let id: string | null = null;
  const props = new Map<string, string>();
  for (const [key, value] of parseKeyValueItems(option, items.slice(1), null)) {
    if (key === 'id') {
      if (!ID.test(value)) throw new ConfigError(`${option}: id '${value}' must start with a letter and hold only letters, digits, '-', '.' and '_'`);
      id = value;
    } else if (props.has(key)) {
      throw new ConfigError(`${option}: ${driver}: property '${key}' given twice`);
    } else {
      props.set(key, value);
    }
  }
  return { driver, id, props };
}

/**
 * Add a spec to the machine's list: a `singleton` driver (one of its kind per machine, such as
 * isa-debug-exit) replaces the earlier spec of that driver; two devices with one id are an error.
 */
export function addDeviceSpec(list: readonly DeviceSpec[], spec: DeviceSpec, singleton: boolean, option: string): DeviceSpec[] {
  if (spec.id !== null && list.some((d) => d.id === spec.id && !(singleton && d.driver === spec.driver))) {
    throw new ConfigError(`${option}: duplicate id '${spec.id}'`);
  }
  return singleton ? [...list.filter((d) => d.driver !== spec.driver), spec] : [...list, spec];
}

/** The spec as the command line would write it (for messages and the recorded configuration). */
export function formatDeviceSpec(spec: DeviceSpec): string {
  const parts = [spec.driver.replaceAll(',', ',,')];
  if (spec.id !== null) parts.push(`id=${spec.id}`);
  for (const [k, v] of spec.props) parts.push(`${k}=${v.replaceAll(',', ',,')}`);
  return parts.join(',');
}

/** The devices every machine has unless the command line says otherwise (QEMU's -device lines). */
export function defaultDeviceSpecs(): DeviceSpec[] {
  return [
    { driver: 'isa-debug-exit', id: null, props: new Map() },
    { driver: 'pc-testdev', id: null, props: new Map() },
  ];
}
