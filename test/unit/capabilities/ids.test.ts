// Capability ids and names, written once (capabilities/ids.ts) for the engine, the report, the
// cache table and the extension host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  capabilityId,
  capabilityNumber,
  cleanCapabilityName,
  compareCapabilityIds,
  MAX_CAPABILITY_NAME,
} from '../../../src/core/capabilities/ids';

test('capability ids: c<k> written 1-based, parsed back, anything else is -1', () => {
  for (const k of [0, 1, 9, 41]) assert.equal(capabilityNumber(capabilityId(k)), k + 1);
  for (const bad of ['', 'c', 'C3', 'c-1', 'c1.5', 's3', ' c3', 'c3 ', '3']) assert.equal(capabilityNumber(bad), -1, bad);
});

test('capability ids sort by number (c2 < c10), other ids by string after the comparison', () => {
  assert.deepEqual(['c10', 'c2', 'c1'].sort(compareCapabilityIds), ['c1', 'c2', 'c10']);
  assert.ok(compareCapabilityIds('c2', 'c10') < 0);
  assert.ok(compareCapabilityIds('b', 'a') > 0);
});

test('capability names: whitespace runs to one space, trimmed, cut at the maximum; blank is empty', () => {
  assert.equal(cleanCapabilityName('  counting\n\tobjects  '), 'counting objects');
  assert.equal(cleanCapabilityName(' \n\t '), '');
  assert.equal(cleanCapabilityName('x'.repeat(500)).length, MAX_CAPABILITY_NAME);
});
