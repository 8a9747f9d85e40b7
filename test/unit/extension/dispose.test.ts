// The extension's Disposable base: everything registered is disposed exactly once, in order, also
// when dispose() is re-entered from a disposal (a webview panel's onDidDispose) or called twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Disposable, disposeAll, toDisposable } from '../../../src/extension/util/dispose';
import type { IDisposable } from '../../../src/extension/util/dispose';

class Owner extends Disposable {
  register<T extends IDisposable>(d: T): T {
    return this._register(d);
  }
  get disposed(): boolean {
    return this.isDisposed;
  }
}

test('dispose() disposes what was registered once, in registration order, and a second call does nothing', () => {
  const calls: string[] = [];
  const owner = new Owner();
  owner.register(toDisposable(() => calls.push('a')));
  owner.register(toDisposable(() => calls.push('b')));
  owner.dispose();
  owner.dispose();
  assert.deepEqual(calls, ['a', 'b']);
  assert.equal(owner.disposed, true);
});

test('a disposal that re-enters dispose() (a panel closing itself) runs once', () => {
  let panelDisposals = 0;
  const owner = new Owner();
  // Like a WebviewPanel: disposing it fires onDidDispose, whose listener disposes the owner again.
  owner.register(
    toDisposable(() => {
      panelDisposals++;
      owner.dispose();
    }),
  );
  owner.dispose();
  assert.equal(panelDisposals, 1);
});

test('registering on a disposed owner disposes the value at once (nothing leaks)', () => {
  const owner = new Owner();
  owner.dispose();
  let disposed = false;
  const d = owner.register(toDisposable(() => (disposed = true)));
  assert.equal(disposed, true);
  assert.equal(typeof d.dispose, 'function');
});

test('one failing disposal does not stop the others; the error surfaces afterwards', () => {
  const calls: string[] = [];
  const owner = new Owner();
  owner.register(toDisposable(() => calls.push('a')));
  owner.register(
    toDisposable(() => {
      throw new Error('boom');
    }),
  );
  owner.register(toDisposable(() => calls.push('c')));
  assert.throws(() => owner.dispose(), /boom/);
  assert.deepEqual(calls, ['a', 'c']);
  assert.doesNotThrow(() => owner.dispose(), 'the second call does nothing');
  const many = [
    toDisposable(() => {
      throw new Error('x');
    }),
    toDisposable(() => {
      throw new Error('y');
    }),
  ];
  assert.throws(
    () => disposeAll(many),
    (e: unknown) => e instanceof AggregateError && e.errors.length === 2,
  );
});
