// The one way the extension owns resources: a Disposable base with `_register()` and a disposed
// guard (VS Code's / hexeditor's pattern), so nothing is disposed twice and nothing registered late leaks.
// Types only from `vscode`: this module runs (and is unit-tested) in plain Node.

export interface IDisposable {
  dispose(): void;
}

/** A disposable from a function (a timer, a native handle, a child process). */
export function toDisposable(fn: () => void): IDisposable {
  return { dispose: fn };
}

/**
 * Disposes every item once, in the order given; an item that throws does not stop the others (the
 * first error is rethrown afterwards, all of them as an AggregateError when there are several).
 */
export function disposeAll(items: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const d of items) {
    try {
      d.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
}

export abstract class Disposable implements IDisposable {
  private _isDisposed = false;
  private readonly _disposables: IDisposable[] = [];

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Owns `value`: disposed with this object, or at once when this object is already disposed. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }

  /**
   * Disposes what was registered, in registration order, exactly once: a second call (e.g. a webview
   * panel's onDidDispose firing while the panel disposes itself) does nothing. Subclasses register
   * their clean-up instead of overriding this.
   */
  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    const items = this._disposables.splice(0);
    disposeAll(items);
  }
}
