// One build script for every target. Usage:
//   node esbuild.config.mjs [--watch] [--production] [--only extension,backend,cli,webview,tests]
// Native modules (onnxruntime-node, sharp) stay external and ship in node_modules beside the
// bundle; sql.js's wasm is copied next to the bundles, never inlined.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const watch = args.includes('--watch');
const production = args.includes('--production');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : null;

const nativeExternals = ['onnxruntime-node', 'sharp'];

/** @type {import('esbuild').BuildOptions} */
const nodeBase = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  external: nativeExternals,
  // Keep real file paths for stack traces and __dirname-relative asset lookups.
  define: { 'process.env.CADC_PRODUCTION': JSON.stringify(production ? '1' : '') },
};

function files(dir, pattern) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, pattern));
    else if (pattern.test(name)) out.push(p);
  }
  return out;
}

const targets = {
  extension: {
    ...nodeBase,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    external: [...nativeExternals, 'vscode'],
  },
  backend: {
    ...nodeBase,
    entryPoints: { backend: 'src/backend/main.ts' },
    outdir: 'dist',
  },
  cli: {
    ...nodeBase,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
  webview: {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: production ? false : 'inline',
    minify: production,
    logLevel: 'info',
    entryPoints: Object.fromEntries(files('webview', /^main\.ts$/).map((f) => [relative('webview', dirname(f)), f])),
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
  },
  tests: {
    ...nodeBase,
    sourcemap: 'inline',
    minify: false,
    entryPoints: [...files('test/integration', /\.ts$/), ...files('test/e2e', /\.ts$/), ...files('test/harness', /\.ts$/)].map((f) => ({
      in: f,
      out: relative('.', f).replace(/\.ts$/, ''),
    })),
    outdir: 'dist',
    external: [...nativeExternals, 'vscode', 'mocha', 'playwright-core', '@vscode/test-electron'],
  },
};

function copyAssets() {
  mkdirSync(join(root, 'dist'), { recursive: true });
  cpSync(join(root, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(root, 'dist/sql-wasm.wasm'));
  const elements = join(root, 'node_modules/@vscode-elements/elements/dist/bundled.js');
  if (existsSync(elements)) {
    mkdirSync(join(root, 'dist/webview'), { recursive: true });
    cpSync(elements, join(root, 'dist/webview/vscode-elements.js'));
  }
  const codicons = join(root, 'node_modules/@vscode/codicons/dist');
  if (existsSync(codicons)) cpSync(codicons, join(root, 'dist/webview/codicons'), { recursive: true });
}

const selected = Object.entries(targets).filter(([name, opts]) => {
  if (only && !only.includes(name)) return false;
  const eps = opts.entryPoints;
  const list = Array.isArray(eps) ? eps.map((e) => e.in) : Object.values(eps);
  return list.length > 0 && list.every((f) => existsSync(join(root, f)));
});

copyAssets();
if (watch) {
  for (const [, opts] of selected) {
    const ctx = await esbuild.context(opts);
    await ctx.watch();
  }
  console.log(`[watch] building ${selected.map(([n]) => n).join(', ')}`);
} else {
  await Promise.all(selected.map(([, opts]) => esbuild.build(opts)));
}
