// Builds a platform-specific VSIX: `node scripts/package.mjs [--target linux-x64]` (default: this
// machine's platform). The bundles are built by `npm run package` first; here we pick the native
// binaries of onnxruntime-node for the one target and let vsce package the rest.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const ti = args.indexOf('--target');
const target = ti >= 0 ? args[ti + 1] : `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`;
const [platform, arch] = target.split('-');
const ortPlatforms = ['linux/x64', 'linux/arm64', 'darwin/arm64', 'win32/x64', 'win32/arm64'];
const keep = `${platform}/${arch}`;
if (!ortPlatforms.includes(keep)) {
  console.error(`package: unsupported target ${target}; onnxruntime-node ships ${ortPlatforms.join(', ')}`);
  process.exit(2);
}
if (platform !== process.platform || arch !== process.arch) {
  console.warn(`package: sharp's native part is installed for ${process.platform}-${process.arch} only; ` +
    `install @img/sharp-${target} (npm install --os=${platform} --cpu=${arch}) before packaging for ${target}.`);
}
const base = readFileSync('.vscodeignore', 'utf8');
const extra = ortPlatforms.filter((p) => p !== keep).map((p) => `node_modules/onnxruntime-node/bin/napi-v6/${p}/**`);
writeFileSync('.vscodeignore', `${base.trimEnd()}\n# per-target (written by scripts/package.mjs)\n${extra.join('\n')}\n`);
try {
  const r = spawnSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'package', '--target', target, '--allow-missing-repository'], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  writeFileSync('.vscodeignore', base);
}
