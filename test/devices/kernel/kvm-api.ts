/**
 * The VM's API (devices/kernel/kvm-vm.ts) for one standalone in-kernel chip, so that a test can put
 * a kvm-* object in front of a chip it built by hand: what KvmVm does with the chips it owns.
 */
import type { KvmIoapicApi, KvmLapicApi, KvmPicApi, KvmPitApi } from '../../../devices/kernel/kvm-vm.ts';
import type { KvmLapic } from '../../../devices/kernel/kvm-lapic.ts';
import type { KvmIoapic } from '../../../devices/kernel/kvm-ioapic.ts';
import type { KvmPic, KvmPicChipInput } from '../../../devices/kernel/kvm-pic.ts';
import type { KvmPit } from '../../../devices/kernel/kvm-pit.ts';
import type { KvmIoapicState } from '../../../src/hw/kvm-structs.ts';

export function lapicApi(l: KvmLapic): KvmLapicApi {
  return { getLapic: () => l.getState(), setLapic: (_cpu, s) => l.setState(s) };
}

export function ioapicApi(io: KvmIoapic): KvmIoapicApi {
  return { getIoapic: () => io.getState(), setIrqchip: (_chip, s) => io.setState(s as KvmIoapicState) };
}

export function picApi(p: KvmPic): KvmPicApi {
  return { getPicChip: (chip) => p.getChip(chip), setIrqchip: (chip, s) => p.setChip(chip, s as KvmPicChipInput) };
}

export function pitApi(pit: KvmPit): KvmPitApi {
  return {
    getPit2: () => pit.getState(),
    setPit2: (s) => {
      pit.setState(s);
      pit.rearm();
    },
  };
}
