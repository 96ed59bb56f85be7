/**
 * The devices a user can add with `-device`, by type name (QEMU's qdev types): each entry checks
 * a DeviceSpec's properties and builds the device as a Plug for PcBoard.plug. Adding a device to
 * godwit is one folder under devices/ plus one entry here (docs/architecture.md, "Adding a device").
 *
 * The table is a TypeRegistry (src/qom/type-registry.ts): the type name, its state version (what
 * a snapshot of it carries) and the factory.
 */
import { ConfigError } from '../src/util/errors.ts';
import { IO_16, IO_32, IO_8 } from '../src/bus/io-bus.ts';
import { TypeRegistry } from '../src/qom/type-registry.ts';
import { DEBUG_EXIT_PORT, DEBUG_EXIT_PORTS } from '../src/hw/pc-layout.ts';
import { DebugExit } from '../devices/testdev/debug-exit.ts';
import { PcTestdev } from '../devices/testdev/pc-testdev.ts';
import type { DeviceSpec } from './device-spec.ts';
import { addDeviceSpec, parseDeviceSpec } from './device-spec.ts';
import { parseInteger } from './option-syntax.ts';
import type { DeviceContext, Plug } from './plug.ts';
import { virtioBlkPciType, virtioBlkType, virtioPciType } from './virtio-device-types.ts';

export interface DeviceType {
  /** One line for `-device help`. */
  readonly summary: string;
  /** At most one per machine: a later -device of the type replaces the earlier one. */
  readonly singleton: boolean;
  /** Check the properties (ConfigError naming the option at fault). */
  check(spec: DeviceSpec, option: string): void;
  /**
   * Build the device; `path` is where it goes in the object tree; `children` are the devices that
   * name it with bus= (a virtio-pci transport's device), which it builds and plugs as its children.
   */
  create(ctx: DeviceContext, spec: DeviceSpec, path: string, children: readonly DeviceSpec[]): Plug;
  /** For a device that sits on another (bus=NAME): that device's id. */
  bus?(spec: DeviceSpec): string | null;
  /** The object path of a device built from `spec`. */
  path(spec: DeviceSpec): string;
}

function noProperties(spec: DeviceSpec, option: string): void {
  for (const key of spec.props.keys()) throw new ConfigError(`${option}: ${spec.driver}: unknown property '${key}'`);
}

/**
 * /machine/peripheral/<id> for a device given an id (QEMU's place for user devices), else a fixed
 * place for a device of which a PC has one: /machine/<driver>.
 */
function fixedPath(spec: DeviceSpec): string {
  return spec.id === null ? `/machine/${spec.driver}` : `/machine/peripheral/${spec.id}`;
}

const isaDebugExit: DeviceType = {
  summary: 'exit with status (v << 1) | 1 when the guest writes v to port 0xf4 (iobase=0xf4,iosize=4)',
  singleton: true,
  check(spec, option) {
    for (const [key, value] of spec.props) {
      // godwit's device is QEMU's at iobase=0xf4 with iosize=4 (a dword write exits with the whole
      // value); another base or a narrower one would cut wide writes differently: refused.
      if (key === 'iobase') parseInteger(`${option} isa-debug-exit iobase`, value, DEBUG_EXIT_PORT, DEBUG_EXIT_PORT);
      else if (key === 'iosize') parseInteger(`${option} isa-debug-exit iosize`, value, DEBUG_EXIT_PORTS, DEBUG_EXIT_PORTS);
      else throw new ConfigError(`${option}: isa-debug-exit: unknown property '${key}'`);
    }
  },
  create(ctx, _spec, path) {
    const device = new DebugExit((status) => ctx.events.onDebugExit(status));
    return { path, object: device, ports: [{ base: DEBUG_EXIT_PORT, count: DEBUG_EXIT_PORTS, device, widths: IO_8 | IO_16 | IO_32 }], reset: () => device.reset() };
  },
  path: fixedPath,
};

const pcTestdev: DeviceType = {
  summary: "QEMU's test device: IRQ lines at ports 0x2000+n, a scratch register at 0xe0",
  singleton: true,
  check: noProperties,
  create(ctx, _spec, path) {
    const device = new PcTestdev(ctx.gsi);
    return { path, object: device, ports: device.portRanges(), reset: () => device.reset() };
  },
  path: fixedPath,
};

/** Every device type `-device` knows, with its state version. */
export function deviceTypes(): TypeRegistry<DeviceType> {
  const table = new TypeRegistry<DeviceType>();
  table.register('isa-debug-exit', 1, isaDebugExit);
  table.register('pc-testdev', 1, pcTestdev);
  table.register('virtio-blk-pci', 1, virtioBlkPciType);
  table.register('virtio-pci', 1, virtioPciType);
  table.register('virtio-blk', 1, virtioBlkType);
  return table;
}

/** The entry for a driver name, or a ConfigError listing what exists. */
export function deviceType(table: TypeRegistry<DeviceType>, driver: string, option: string): DeviceType {
  const entry = table.get(driver)?.factory;
  if (entry === undefined) {
    throw new ConfigError(`${option}: unknown or unsupported device '${driver}' (known: ${table.names().join(', ')})`);
  }
  return entry;
}

/** `-device help`: every type with its summary. */
export function deviceHelp(table: TypeRegistry<DeviceType>): string {
  return table.names().map((name) => `  ${name.padEnd(16)} ${table.get(name)!.factory!.summary}\n`).join('');
}

/**
 * The device list of recorded `-device` strings (a snapshot's configuration), checked as the
 * command line checks them.
 */
export function devicesFromStrings(lines: readonly string[], option: string): DeviceSpec[] {
  const table = deviceTypes();
  let out: DeviceSpec[] = [];
  for (const line of lines) {
    const spec = parseDeviceSpec(option, line);
    const type = deviceType(table, spec.driver, option);
    type.check(spec, option);
    out = addDeviceSpec(out, spec, type.singleton, option);
  }
  return out;
}
