/**
 * The state of a snapshot=on drive's overlay as an object of the machine tree (/machine/block/<drive
 * id>, type `block-overlay`): the guest's writes travel in the snapshot, so the snapshot is
 * self-contained and restores any number of times from the same pristine image.
 *
 * Fields: `blocks`, the indices of the overlay's 4 KiB blocks as little-endian u32s in ascending
 * order; `data`, their bytes in the same order (4 KiB each; the bytes past the end of a partial last
 * block are zero). Both are `varbytes` and travel as blobs. A load only checks and keeps the blocks;
 * post-load puts them in the overlay (OverlayBackend.adoptBlocks refuses bad indices, repeats and
 * lengths, and keeps the loaded bytes without copying them), so a restore that fails before its
 * post-load leaves the disk as it was.
 */
import { PRIORITY_DEFAULT, type StateObject } from '../qom/object.ts';
import { StateError } from '../util/errors.ts';
import type { Visitor } from '../visit/visitor.ts';
import { MAX_VARBYTES_LENGTH } from '../visit/field-checks.ts';
import { OVERLAY_BLOCK_SIZE, type OverlayBackend, type OverlayBlock } from './overlay-backend.ts';

export class OverlayState implements StateObject {
  readonly typeName = 'block-overlay';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_DEFAULT;
  private readonly overlay: OverlayBackend;
  private loaded: OverlayBlock[] | null = null;

  constructor(overlay: OverlayBackend) {
    this.overlay = overlay;
  }

  visit(v: Visitor): void {
    const count = this.overlay.blockCount;
    const blocks = v.mode === 'save' ? this.overlay.writtenBlocks() : [];
    const index = new Uint8Array(blocks.length * 4);
    const data = new Uint8Array(blocks.length * OVERLAY_BLOCK_SIZE);
    const view = new DataView(index.buffer);
    blocks.forEach((b, i) => {
      view.setUint32(i * 4, b.index, true);
      data.set(b.data, i * OVERLAY_BLOCK_SIZE);
    });
    const savedIndex = v.varBytes('blocks', index, Math.min(count * 4, MAX_VARBYTES_LENGTH));
    const savedData = v.varBytes('data', data, Math.min(count * OVERLAY_BLOCK_SIZE, MAX_VARBYTES_LENGTH));
    if (v.mode !== 'load') return;
    if (savedIndex.length % 4 !== 0 || savedData.length !== (savedIndex.length / 4) * OVERLAY_BLOCK_SIZE) {
      throw new StateError('blocks', `${savedIndex.length / 4} block indices for ${savedData.length} bytes of data`);
    }
    const read = new DataView(savedIndex.buffer, savedIndex.byteOffset, savedIndex.byteLength);
    const out: OverlayBlock[] = [];
    let last = -1;
    for (let i = 0; i < savedIndex.length / 4; i++) {
      const at = read.getUint32(i * 4, true);
      if (at <= last || at >= count) throw new StateError('blocks', `block index ${at} is out of order or outside the disk (${count} blocks)`);
      last = at;
      out.push({ index: at, data: savedData.subarray(i * OVERLAY_BLOCK_SIZE, (i + 1) * OVERLAY_BLOCK_SIZE) });
    }
    this.loaded = out;
  }

  /**
   * The loaded blocks become the overlay, without a copy (adoptBlocks: a block is copied only
   * before the guest writes it), so the snapshot's bytes stay as they were loaded.
   */
  postLoad(): void {
    if (this.loaded === null) return;
    this.overlay.adoptBlocks(this.loaded);
    this.loaded = null;
  }

  /** Power-on: nothing (the overlay holds the guest's writes since the machine was started). */
}
