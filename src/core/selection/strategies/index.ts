// The strategy registry: every selection strategy by name, one file each in this folder. Adding a
// strategy is its file plus one line here (and its name in config.ts's StrategyName).
import type { StrategyName } from '../../config';
import type { SelectionStrategy } from '../types';
import { cadc } from './cadc';
import { icons } from './icons';
import { length } from './length';
import { less } from './less';
import { lossBand } from './lossBand';
import { mmssr } from './mmssr';
import { random } from './random';
import { taskBalanced } from './taskBalanced';

const STRATEGIES: Record<StrategyName, SelectionStrategy> = {
  cadc,
  random,
  mmssr,
  'task-balanced': taskBalanced,
  less,
  icons,
  length,
  'loss-band': lossBand,
};

export function getStrategy(name: StrategyName): SelectionStrategy {
  const s = Object.hasOwn(STRATEGIES, name) ? STRATEGIES[name] : undefined;
  if (!s) throw new Error(`The '${name}' strategy is not available yet; available: ${Object.keys(STRATEGIES).join(', ')}.`);
  return s;
}
