// `npm run package`: one VSIX per platform, each with only its own native binaries.
//
//   node scripts/package.mjs [--target linux-x64 [--target …]] [--out DIR]
//
// Without --target it builds every target below. For each target it lays out a staging folder,
// .cache/package/<target>/, holding exactly what the VSIX ships: the production bundles (no source
// maps), the icon, the schemas, package.json, README, CHANGELOG, LICENSE, and a node_modules with
// the runtime dependencies only: onnxruntime-node with the target's bin/napi-v6/<platform>/<arch>
// and nothing else from bin/, and sharp with the target's @img/sharp-* packages. Those come from
// node_modules when the target is this machine's, otherwise from the npm registry (`npm pack`,
// kept in .cache/npm-pack/). The real node_modules is never modified. vsce then packages the
// staging folder (its .vscodeignore is the repository's) with `--target`.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];
const STAGING = path.join(ROOT, '.cache', 'package');
const PACKS = path.join(ROOT, '.cache', 'npm-pack');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function fail(msg, code = 2) {
  console.error(`package: ${msg}`);
  process.exit(code);
}

function parseArgs(argv) {
  const targets = [];
  let out = ROOT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') targets.push(argv[++i]);
    else if (argv[i] === '--out') out = path.resolve(argv[++i] ?? '');
    else fail(`unknown argument ${argv[i]} (usage: node scripts/package.mjs [--target ${TARGETS.join('|')}] [--out DIR])`);
  }
  for (const t of targets) if (!TARGETS.includes(t)) fail(`unknown target ${t}; the targets are ${TARGETS.join(', ')}`);
  return { targets: targets.length ? targets : TARGETS, explicit: targets.length > 0, out };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit ${r.status ?? r.signal}`);
  return r;
}

/** Why onnxruntime-node cannot run on the target, or undefined when it ships the binary. */
function ortMissing(platform, arch) {
  const bin = path.join(ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  if (existsSync(path.join(bin, platform, arch, 'onnxruntime_binding.node'))) return undefined;
  const have = readdirSync(bin).flatMap((p) => readdirSync(path.join(bin, p)).map((a) => `${p}-${a}`));
  const version = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version;
  return `onnxruntime-node ${version} ships no ${platform}/${arch} binary (it ships ${have.join(', ')})`;
}

/** Installed production dependencies (the packages `require` can reach from the bundles), relative to ROOT. */
function productionPackages() {
  const r = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm ls --omit=dev failed:\n${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((p) => path.isAbsolute(p) && p !== ROOT)
    .map((p) => path.relative(ROOT, p));
}

// Nothing a user does not run: types, sources, maps, docs, build scripts, ES-module copies (the
// bundles are CommonJS and `require` them); licence files stay.
const DROP_FILE = /\.(map|ts|cts|mts|mjs|md|markdown|gyp|cc|h)$/i;
const KEEP_FILE = /^(licen[cs]e|notice|third)/i;
const DROP_TOP_DIR = new Set(['src', 'script', 'install', 'test', 'tests', 'docs', 'example', 'examples', '.github']);

/** Copies a package folder without nested packages (listed on their own) and without DROP_* entries. */
function copyPackage(from, to, skip = () => false) {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src).split(path.sep).join('/');
      if (rel === '') return true;
      if (skip(rel)) return false;
      const base = path.basename(src);
      if (statSync(src).isDirectory())
        return base !== 'node_modules' && rel !== 'dist/esm' && !(DROP_TOP_DIR.has(base) && !rel.includes('/'));
      return KEEP_FILE.test(base) || !DROP_FILE.test(base);
    },
  });
}

/**
 * For onnxruntime-node: leaves out every bin/napi-v6/<platform>/<arch> but the target's, and the
 * macOS library's second copy under its full version (libonnxruntime.1.30.0.dylib): the binding
 * links @rpath/libonnxruntime.1.dylib, and npm ships both as regular files.
 */
function otherOrtBinaries(platform, arch) {
  return (rel) => {
    const m = /^bin\/napi-v6\/([^/]+)(?:\/([^/]+))?/.exec(rel);
    return !!m && (m[1] !== platform || (m[2] !== undefined && m[2] !== arch) || /\/libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(rel));
  };
}

/** The @img packages sharp loads on the target: @img/sharp-<target> and the libvips it depends on. */
function sharpNativePackages(target, stagingModules) {
  const sharp = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'sharp', 'package.json'), 'utf8'));
  const host = `${process.platform}-${process.arch}`;
  const queue = [`@img/sharp-${target}`];
  const done = [];
  while (queue.length) {
    const name = queue.shift();
    const version = sharp.optionalDependencies?.[name];
    if (!version) throw new Error(`sharp ${sharp.version} has no optional dependency ${name}`);
    const dest = path.join(stagingModules, ...name.split('/'));
    const local = path.join(ROOT, 'node_modules', ...name.split('/'));
    if (target === host && existsSync(local)) copyPackage(local, dest);
    else extractFromRegistry(name, version, dest);
    const pkg = JSON.parse(readFileSync(path.join(dest, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }))
      if (dep.startsWith('@img/sharp-') && !done.includes(dep) && !queue.includes(dep)) queue.push(dep);
    done.push(name);
  }
  return done;
}

/** `npm pack name@version` into .cache/npm-pack (once), unpacked into dest. */
function extractFromRegistry(name, version, dest) {
  mkdirSync(PACKS, { recursive: true });
  const tgz = path.join(PACKS, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (!existsSync(tgz)) {
    console.log(`package: fetching ${name}@${version} from the npm registry`);
    run('npm', ['pack', `${name}@${version}`, '--pack-destination', PACKS, '--silent'], {
      cwd: PACKS,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (!existsSync(tgz)) throw new Error(`npm pack ${name}@${version} did not write ${tgz}`);
  }
  const tmp = `${dest}.unpack`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('tar', ['-xzf', tgz, '-C', tmp]);
  mkdirSync(path.dirname(dest), { recursive: true });
  copyPackage(path.join(tmp, 'package'), dest);
  rmSync(tmp, { recursive: true, force: true });
}

function stage(target, packages) {
  const [platform, arch] = target.split('-');
  const dir = path.join(STAGING, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore']) cpSync(path.join(ROOT, f), path.join(dir, f));
  cpSync(path.join(ROOT, 'media'), path.join(dir, 'media'), { recursive: true });
  cpSync(path.join(ROOT, 'schemas'), path.join(dir, 'schemas'), { recursive: true });
  // The production bundles; of codicons only the stylesheet and its font.
  for (const f of ['extension.js', 'backend.js', 'cli.js', 'sql-wasm.wasm']) cpSync(path.join(ROOT, 'dist', f), path.join(dir, 'dist', f));
  cpSync(path.join(ROOT, 'dist', 'webview'), path.join(dir, 'dist', 'webview'), {
    recursive: true,
    filter: (src) => !/\.map$/.test(src) && (!src.includes(`${path.sep}codicons${path.sep}`) || /codicon\.(css|ttf)$/.test(src)),
  });
  const modules = path.join(dir, 'node_modules');
  for (const rel of packages) {
    const name = rel.split('node_modules/').pop();
    if (/^@img\/sharp-/.test(name)) continue; // this machine's; the target's are added below
    copyPackage(path.join(ROOT, rel), path.join(dir, rel), name === 'onnxruntime-node' ? otherOrtBinaries(platform, arch) : undefined);
  }
  const natives = sharpNativePackages(target, modules);
  return { dir, natives };
}

function main() {
  const { targets, explicit, out } = parseArgs(process.argv.slice(2));
  const skipped = [];
  const buildable = targets.filter((target) => {
    const why = ortMissing(...target.split('-'));
    if (why) {
      console.error(`package: cannot build ${target}: ${why}.`);
      skipped.push(`${target} (${why})`);
    }
    return !why;
  });
  // Asking for a target that cannot be built is an error; the default "all" reports it and goes on.
  if (buildable.length === 0 || (explicit && skipped.length)) process.exit(1);
  if (!existsSync(path.join(ROOT, 'media', 'icon.png'))) run(process.execPath, [path.join(ROOT, 'scripts', 'render-icon.mjs')]);
  // Production bundles (minified, no source maps), then the development build again afterwards so
  // the tests and the extension-development host keep their source maps.
  run(process.execPath, ['esbuild.config.mjs', '--production', '--only', 'extension,backend,cli,webview'], { cwd: ROOT });
  const built = [];
  try {
    const packages = productionPackages();
    for (const target of buildable) {
      const [platform, arch] = target.split('-');
      const started = Date.now();
      const { dir, natives } = stage(target, packages);
      const vsix = path.join(out, `${manifest.name}-${target}-${manifest.version}.vsix`);
      mkdirSync(out, { recursive: true });
      console.log(`package: ${target}: onnxruntime-node bin/napi-v6/${platform}/${arch}, ${natives.join(', ')}`);
      run(process.execPath, [path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--target', target, '--out', vsix], {
        cwd: dir,
      });
      const mb = statSync(vsix).size / 1024 / 1024;
      built.push(`${path.relative(process.cwd(), vsix) || vsix} (${mb.toFixed(1)} MB, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    run(process.execPath, ['esbuild.config.mjs', '--only', 'extension,backend,cli,webview'], { cwd: ROOT, stdio: 'ignore' });
  }
  console.log(`\npackage: built ${built.length}: ${built.join('; ')}`);
  if (skipped.length) console.log(`package: not built ${skipped.length}: ${skipped.join('; ')}`);
}

main();
