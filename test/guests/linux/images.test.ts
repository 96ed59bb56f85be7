/**
 * The committed Linux guest images match their recipe: test/guests/linux/images.txt records the
 * recipe hash (scripts/build-linux.sh, the config fragment, the init sources, the kernel and
 * toolchain versions) and each image's SHA-256, as the build script wrote them. Changing the recipe
 * without rebuilding (`npm run guest:linux`), or the images without the recipe, fails here.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LINUX_DIR = 'test/guests/linux';
const IMAGES = ['bzImage', 'initramfs.cpio', 'System.map'];

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

interface ImageRecord {
  kernel: string;
  toolchain: string;
  recipe: string;
  /** SHA-256 by file name. */
  images: Map<string, string>;
}

/** Parse images.txt: `kernel ...`, `toolchain ...`, `recipe HEX`, then `sha256sum` lines. */
function parseImageRecord(text: string): ImageRecord {
  const rec: ImageRecord = { kernel: '', toolchain: '', recipe: '', images: new Map() };
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sum = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (sum !== null) {
      rec.images.set(sum[2]!, sum[1]!);
      continue;
    }
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'kernel' || key === 'toolchain' || key === 'recipe') rec[key] = value;
    else throw new Error(`images.txt: unexpected line '${line}'`);
  }
  return rec;
}

/** The recipe files, repository-relative, in C-locale order (as `LC_ALL=C sort`). */
function recipeFiles(root: string): string[] {
  const init = readdirSync(`${root}${LINUX_DIR}/init`, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => `${d.parentPath.slice(root.length)}/${d.name}`);
  const files = ['scripts/build-linux.sh', `${LINUX_DIR}/config-fragment`, ...init];
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The hash build-linux.sh computes: `sha256sum FILES; echo kernel ...; echo toolchain ...` | sha256sum. */
function recipeHash(root: string, kernel: string, toolchain: string): string {
  let text = '';
  for (const f of recipeFiles(root)) text += `${sha256(readFileSync(`${root}${f}`))}  ${f}\n`;
  text += `kernel ${kernel}\ntoolchain ${toolchain}\n`;
  return sha256(text);
}

describe('Linux guest images', () => {
  const record = parseImageRecord(readFileSync(`${ROOT}${LINUX_DIR}/images.txt`, 'utf8'));

  it('were built from the recipe in the repository', () => {
    expect(record.kernel).toMatch(/^linux-source-6\.1 /);
    expect(recipeFiles(ROOT)).toContain(`${LINUX_DIR}/init/init.c`);
    expect(recipeHash(ROOT, record.kernel, record.toolchain), 'recipe changed: run `npm run guest:linux` and commit the images').toBe(
      record.recipe,
    );
  });

  for (const name of IMAGES) {
    it(`${name} is the image the recipe produced`, () => {
      expect(record.images.get(name), `${name} missing from images.txt`).toMatch(/^[0-9a-f]{64}$/);
      expect(sha256(readFileSync(`${ROOT}${LINUX_DIR}/${name}`)), `${name} differs from images.txt`).toBe(record.images.get(name));
    });
  }
});
