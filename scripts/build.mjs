#!/usr/bin/env node
// Build the two bundles with esbuild (npm run build; npm's prepare runs it after npm install):
//   dist/godwit.cjs                the CLI for Node (machine/cli.ts; CommonJS, node20: bin/load-bundle.js
//                                  runs it through a V8 code cache, which Node 20 offers for scripts only)
//   dist/godwit-core.browser.js    the machine and its platform-neutral core for browsers (machine/browser.ts)
// The browser build fails on any import of a Node built-in (the npm package `buffer` stands in for
// Node's Buffer).
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Node built-ins the browser bundle may name because an npm package of that name replaces them. */
const BROWSER_PACKAGES = new Set(['buffer']);

/** An esbuild plugin that turns any Node built-in import into a build error naming the importer. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(build) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /.*/ }, (args) => {
      const name = args.path;
      const bare = name.startsWith('node:') ? name.slice(5) : name;
      const isBuiltin = name.startsWith('node:') || builtins.has(bare) || builtins.has(bare.split('/')[0]);
      if (!isBuiltin || (!name.startsWith('node:') && BROWSER_PACKAGES.has(bare))) return undefined;
      return {
        errors: [{ text: `the browser core must not import the Node built-in '${name}' (from ${relative(root, args.importer)})` }],
      };
    });
  },
};

async function build() {
  const started = Date.now();
  const cli = esbuild.build({
    absWorkingDir: root,
    entryPoints: ['machine/cli.ts'],
    outfile: join(dist, 'godwit.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // machine/cli.ts finds the package from import.meta.url, which CommonJS has not.
    define: { 'import.meta.url': 'import_meta_url' },
    banner: { js: 'var import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  const core = esbuild.build({
    absWorkingDir: root,
    entryPoints: ['machine/browser.ts'],
    outfile: join(dist, 'godwit-core.browser.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    metafile: true,
    plugins: [noNodeBuiltins],
    logLevel: 'warning',
  });
  // Build both even if one fails, so that every error shows at once.
  const [cliResult, coreResult] = await Promise.allSettled([cli, core]);
  if (cliResult.status === 'rejected') throw cliResult.reason;
  if (coreResult.status === 'rejected') throw coreResult.reason;
  const browser = coreResult.value;
  const reached = new Set(Object.keys(browser.metafile.inputs));
  if (!reached.has('machine/machine.ts')) throw new Error('the browser bundle does not contain the Machine');
  console.error(`build: dist/godwit.cjs and dist/godwit-core.browser.js in ${Date.now() - started} ms`);
}

build().catch((e) => {
  // esbuild has already printed its errors.
  if (!(e && Array.isArray(e.errors))) console.error(`build: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
