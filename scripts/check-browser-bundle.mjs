#!/usr/bin/env node
// Check dist/godwit-core.browser.js (built by scripts/build.mjs): it exists, names no Node module
// (no require(...) of one, no node: import), and evaluates in a bare node:vm context that has the
// web platform's globals but none of Node's (no process, require, Buffer, module, global).
// Exits 0 with one line when all is well, 1 with a clear message otherwise.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The bundle to check: dist/godwit-core.browser.js, or a path given as the first argument. */
const bundlePath = process.argv[2] ?? join(root, 'dist', 'godwit-core.browser.js');

function fail(message) {
  console.error(`check-browser-bundle: ${message}`);
  process.exit(1);
}

if (!existsSync(bundlePath)) fail(`${bundlePath} is missing (run npm run build)`);
const code = readFileSync(bundlePath, 'utf8');

// 1. No Node module named anywhere: require("fs"), import "node:fs", import("node:fs").
const builtins = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/]/g, '\\/'));
const names = `(?:node:[\\w/]+|${builtins.join('|')})`;
const patterns = [
  [new RegExp(`\\brequire\\(\\s*["'\`]${names}["'\`]\\s*\\)`), 'a require() of a Node module'],
  [new RegExp(`\\b(?:from|import)\\s*\\(?\\s*["'\`]node:`), 'an import of a node: module'],
  [new RegExp(`\\bfrom\\s*["'\`]${names}["'\`]`), 'an import of a Node module'],
  [/\b__require\b/, "esbuild's require shim (something in the bundle calls require)"],
];
for (const [re, what] of patterns) {
  const m = re.exec(code);
  if (m) {
    const line = code.slice(0, m.index).split('\n').length;
    fail(`the browser bundle contains ${what} at line ${line}: ${m[0]}`);
  }
}

// 2. Evaluate it without Node globals. vm has no ESM loader without a flag, so turn the module
//    into a script that assigns its exports to a global.
let script;
try {
  script = (await esbuild.transform(code, { format: 'iife', globalName: '__godwitCore', target: 'es2022' })).code;
} catch (e) {
  fail(`cannot transform the bundle: ${e instanceof Error ? e.message : String(e)}`);
}
const webGlobals = {
  console,
  TextEncoder,
  TextDecoder,
  URL,
  URLSearchParams,
  atob,
  btoa,
  queueMicrotask,
  setTimeout,
  clearTimeout,
  structuredClone,
};
const context = vm.createContext({ ...webGlobals });
vm.runInContext('globalThis.self = globalThis; globalThis.window = globalThis;', context);
try {
  vm.runInContext(script, context, { filename: 'godwit-core.browser.js' });
} catch (e) {
  fail(`the bundle throws when evaluated without Node globals: ${e instanceof Error ? e.message : String(e)}`);
}
for (const name of ['process', 'require', 'Buffer', 'module', 'global', '__dirname']) {
  if (vm.runInContext(`typeof ${name}`, context) !== 'undefined') fail(`the bundle defined the Node global '${name}'`);
}
const exported = vm.runInContext('Object.keys(__godwitCore)', context);
if (!Array.isArray(exported) || exported.length === 0) fail('the bundle exports nothing');
console.log(`check-browser-bundle: ok (${exported.length} exports, ${Math.round(code.length / 1024)} KiB, no Node APIs)`);
