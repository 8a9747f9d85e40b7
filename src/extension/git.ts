// Everything the extension asks of git: whether a file is committed and clean (a `git` shell-out,
// before a re-selection rewrites a manifest) and staging files with a pre-filled commit message
// (through VS Code's built-in git extension). The user commits.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';

const execFileAsync = promisify(execFile);

/** Whether git tracks the file and it has no changes, staged or not (false outside a repository). */
export async function committedAndClean(file: string): Promise<boolean> {
  const cwd = path.dirname(file);
  const name = path.basename(file);
  try {
    await execFileAsync('git', ['ls-files', '--error-unmatch', '--', name], { cwd });
    const { stdout } = await execFileAsync('git', ['status', '--porcelain', '--', name], { cwd });
    return stdout.trim() === '';
  } catch {
    return false;
  }
}

interface GitRepository {
  rootUri: vscode.Uri;
  inputBox: { value: string };
  add(paths: string[]): Promise<void>;
}
interface GitApi {
  repositories: GitRepository[];
  getRepository(uri: vscode.Uri): GitRepository | null;
}

async function gitApi(): Promise<GitApi | undefined> {
  const ext = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>('vscode.git');
  if (!ext) return undefined;
  const exports = ext.isActive ? ext.exports : await ext.activate();
  return exports.getAPI(1);
}

/**
 * Stages `files` in the repository that holds `anchor` and puts `message` in its commit box.
 * Resolves false when there is no repository (or no git extension) to stage them in.
 */
export async function stageForCommit(anchor: vscode.Uri, files: string[], message: () => string): Promise<boolean> {
  const git = await gitApi().catch(() => undefined);
  const repo = git?.getRepository(anchor) ?? undefined;
  if (!repo) return false;
  await repo.add(files);
  repo.inputBox.value = message();
  return true;
}
