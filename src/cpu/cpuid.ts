/**
 * CPUID: a 486-class processor (family 4) with the i686 features the model switches on. No SSE: the
 * CPU has no XMM state. LFENCE, MFENCE and SFENCE still run (ops-0f.ts), as Linux executes them
 * around TSC-deadline writes without asking CPUID, and every CPU with that timer has them.
 */
import type { CpuModel } from './cpu-config.ts';

/** Family 4 (486), model 8, stepping 0. */
const SIGNATURE = 0x480;

function vendorWords(vendor: string): [number, number, number] {
  const bytes = new Uint8Array(12);
  for (let i = 0; i < 12; i++) bytes[i] = i < vendor.length ? vendor.charCodeAt(i) & 0xff : 0x20;
  const w = (o: number) => bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
  return [w(0), w(4), w(8)];
}

export function cpuidMaxLeaf(model: CpuModel): number {
  return model.leaf15 ? 0x15 : 1;
}

/**
 * EAX, EBX, ECX, EDX for a leaf (and subleaf), as the guest sees them. `apicEnabled` is
 * IA32_APIC_BASE's global enable: CPUID.1:EDX.APIC reads 0 while it is clear (SDM vol. 3, 10.4.3;
 * KVM's kvm_update_cpuid_runtime, QEMU's cpu_clear_apic_feature).
 */
export function cpuidLeaf(model: CpuModel, leaf: number, _subleaf: number, cpuIndex: number, apicEnabled: boolean): number[] {
  const max = cpuidMaxLeaf(model);
  if (leaf > max) leaf = max;
  switch (leaf) {
    case 0: {
      const [b, d, c] = vendorWords(model.vendor);
      return [max, b, c, d];
    }
    case 1: {
      let edx = 1 << 2; // DE: CR4.DE and the I/O breakpoint encodings
      if (model.pse) edx |= 1 << 3;
      if (model.tsc) edx |= 1 << 4;
      if (model.msr) edx |= 1 << 5;
      if (model.cx8) edx |= 1 << 8;
      if (model.apic && apicEnabled) edx |= 1 << 9;
      if (model.pge) edx |= 1 << 13;
      if (model.cmov) edx |= 1 << 15;
      const ecx = model.tscDeadline ? 1 << 24 : 0;
      const ebx = (cpuIndex & 0xff) << 24;
      return [SIGNATURE, ebx, ecx, edx];
    }
    case 0x15:
      // TSC / crystal ratio: the TSC counts virtual ns, so a 1 GHz crystal with ratio 1/1.
      return [1, 1, 1_000_000_000, 0];
    default:
      return [0, 0, 0, 0];
  }
}
