#!/usr/bin/env node
// Writes the virtioblk guest's test disk: 2048 sectors (1 MiB) whose bytes name their sector
// (bytes 0-3: the sector number, little-endian; byte i >= 4: sector * 7 + (sector >> 8) * 3 + i * 13,
// mod 256), the same function as pattern() in test/guests/src/virtioblk.c.
// Usage: node test/guests/disk/make-disk.mjs OUTPUT   (default test/guests/build/virtioblk-disk.img)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SECTORS = 2048;
const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'virtioblk-disk.img');
const disk = new Uint8Array(SECTORS * 512);
for (let s = 0; s < SECTORS; s++) {
  for (let i = 0; i < 512; i++) {
    disk[s * 512 + i] = i < 4 ? (s >>> (8 * i)) & 0xff : (s * 7 + (s >>> 8) * 3 + i * 13) & 0xff;
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, disk);
console.log(`wrote ${out} (${disk.length} bytes)`);
