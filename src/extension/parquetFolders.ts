// Which workspace folders hold Parquet shards, as the context key `cadc.parquetFolders` (their paths):
// the Explorer offers "CADC: Curate" on such a folder (a folder of shards is one dataset) and on no
// other. Found once at activation (at most 2,000 files looked at) and again when a `.parquet` file is
// created or deleted.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toDisposable } from './util/dispose';
import type { IDisposable } from './util/dispose';

async function update(): Promise<void> {
  const files = await vscode.workspace.findFiles('**/*.parquet', '**/node_modules/**', 2000);
  const folders = [...new Set(files.map((f) => path.dirname(f.fsPath)))];
  await vscode.commands.executeCommand('setContext', 'cadc.parquetFolders', folders);
}

export function watchParquetFolders(): IDisposable {
  let timer: NodeJS.Timeout | undefined;
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void update(), 500);
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.parquet', false, true, false);
  watcher.onDidCreate(later);
  watcher.onDidDelete(later);
  void update();
  return toDisposable(() => {
    if (timer) clearTimeout(timer);
    watcher.dispose();
  });
}
