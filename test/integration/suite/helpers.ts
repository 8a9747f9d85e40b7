// What the extension-host suites share: waiting for the host to reach a state, and reading the hover
// VS Code would show at a position (every provider's contents, as Markdown text).
import * as vscode from 'vscode';

/**
 * Polls `get` every `every` ms until it gives a truthy value, which it returns; after `ms` it throws
 * "timed out waiting for <what>", followed by `detail()` when given (the state worth seeing then).
 */
export async function until<T>(
  what: string,
  get: () => T | Promise<T>,
  { ms, every = 50, detail }: { ms: number; every?: number; detail?: () => string },
): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `; ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** The text of every hover at a position of a document. */
export async function hoverText(uri: vscode.Uri, at: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, at)) as vscode.Hover[];
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))
    .join('\n');
}
