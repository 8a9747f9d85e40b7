// A command of the extension as a class: its id and what it does. activate() registers the list.
import * as vscode from 'vscode';

export interface Command {
  readonly id: string;
  // Commands take whatever their callers pass (menus pass a Uri, tests pass options): each checks its arguments.
  execute(...args: never[]): unknown;
}

export function registerCommands(commands: Command[]): vscode.Disposable[] {
  return commands.map((c) =>
    vscode.commands.registerCommand(c.id, (...args: unknown[]) => (c.execute as (...a: unknown[]) => unknown)(...args)),
  );
}
