/**
 * The platform-neutral core as one module, the entry of the browser bundle
 * (dist/godwit-core.browser.js, built by scripts/build.mjs). Nothing reachable from here may use a
 * Node API; scripts/check-browser-bundle.mjs checks the bundle. When a file is added to src/ or
 * devices/, export it here (the build warns about files this entry does not reach).
 */
export * from './bus/io-bus.ts';
export * from './bus/mmio-bus.ts';
export * from './clock/clock.ts';
export * from './cpu/constants.ts';
export * from './cpu/cpu-alu.ts';
export * from './cpu/cpu-config.ts';
export * from './cpu/cpu-decode.ts';
export * from './cpu/cpu-memory.ts';
export * from './cpu/cpu-state.ts';
export * from './cpu/cpu-system.ts';
export * from './cpu/cpu-visit.ts';
export * from './cpu/cpu.ts';
export * from './cpu/cpuid.ts';
export * from './cpu/descriptors.ts';
export * from './cpu/fault.ts';
export * from './cpu/ops-0f.ts';
export * from './cpu/ops-core.ts';
export * from './cpu/ops-group.ts';
export * from './cpu/ops-string.ts';
export * from './cpu/ops-system.ts';
export * from './cpu/task-switch.ts';
export * from './irq.ts';
export * from './memory/guest-memory.ts';
export * from './memory/physical-memory.ts';
export * from './memory/ram-state.ts';
export * from './qom/object-tree.ts';
export * from './qom/object.ts';
export * from './qom/type-registry.ts';
export * from './util/errors.ts';
export * from './util/hash.ts';
export * from './visit/describe-visitor.ts';
export * from './visit/field-checks.ts';
export * from './visit/input-visitor.ts';
export * from './visit/output-visitor.ts';
export * from './visit/schema.ts';
export * from './visit/state-tree.ts';
export * from './visit/visitor.ts';

export * from '../devices/fw-cfg/fw-cfg.ts';
export * from '../devices/misc/port80.ts';
export * from '../devices/misc/port92.ts';
export * from '../devices/pic/i8259.ts';
export * from '../devices/pic/pic-pair.ts';
export * from '../devices/pit/i8254.ts';
export * from '../devices/pit/pit-math.ts';
export * from '../devices/pit/port61.ts';
export * from '../devices/rtc/mc146818.ts';
export * from '../devices/rtc/rtc-time.ts';
export * from '../devices/serial/uart16550.ts';
export * from '../devices/testdev/debug-exit.ts';
export * from '../devices/testdev/pc-testdev.ts';
