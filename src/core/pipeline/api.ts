// The public face of the core: what the CLI, the backend process and tests call.
// Implementation: run.ts (runCuration), reselect.ts (reselect, reselectAsync), attribution.ts (attributionOf).
import type { CurationConfig } from '../config';
import type { DatasetFormat, DatasetSummary } from '../dataset/types';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import type { GradientSource } from '../gradients/importTrajectories';
import type { CapabilityModel } from '../capabilities/types';
import type { Attribution } from '../influence/types';
import type { Duplicates, GroupInfluence, SelectionResult } from '../selection/types';
import type { CapabilityScores } from '../selection/scores';
import type { ManifestV1, Stage } from '../curriculum/types';
import type { Logger } from '../runtime/log';
import type { ProgressFn } from '../runtime/progress';

export interface CurationInput {
  datasetPath: string;
  config: CurationConfig;
  format?: DatasetFormat | 'auto';
  /** Folder image references resolve against (default: the dataset's folder). */
  imageRoot?: string;
  /** Outermost folder images may come from (workspace root). */
  confineTo?: string;
  /** Probe file whose samples define probe groups (by its label field). */
  probeFile?: string;
  /** mmSSR capability scores (JSONL or CSV, selection/scores.ts), parsed once per run and recorded in the manifest. */
  scoresFile?: string;
  /** A cadc.gradients/v1 folder (docs/gradients.md) whose trajectories replace the proxy's (no warm-up). */
  gradientsDir?: string;
  /** Folder for the sql.js cache; null disables the cache. */
  cacheDir: string | null;
  /** Folder the manifest's dataset.path is written relative to (workspace root or --out). */
  manifestBase?: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  log?: Logger;
}

export interface CurationRun {
  input: CurationInput;
  summary: DatasetSummary;
  pool: Pool;
  trajectories: Trajectories;
  warmup: { samples: number; checkpoints: { t: number; eta: number; trainLoss: number }[] };
  capabilities: CapabilityModel;
  attribution: Attribution;
  duplicates: Duplicates;
  /** Where imported trajectories came from (absent: the built-in proxy); the manifest records it. */
  gradients?: GradientSource;
  /** Parsed scores file (when input.scoresFile is set); reselect reuses it. */
  scores?: CapabilityScores;
  /** Per-target-group influence (LESS, ICONS), computed once and reused by reselect. */
  groupInfluence?: GroupInfluence;
  selection: SelectionResult;
  stages: Stage[];
  /** Stage of each sample (-1 = not selected). */
  stageOf: Int32Array;
  manifest: ManifestV1;
  /** Wall time per stage, plus 'total'. */
  timingsMs: Record<string, number>;
  /** Whether features/trajectories came from the cache. */
  cacheHit: boolean;
}

export interface ReselectOptions {
  budget: number;
  budgetUnit?: CurationConfig['budgetUnit'];
  strategy?: CurationConfig['strategy'];
  within?: CurationConfig['selection']['within'];
  balance?: CurationConfig['selection']['balance'];
}
