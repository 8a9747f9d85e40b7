// Every knob of a curation run. The whole object is recorded in the manifest, so a run can be
// reproduced from its manifest alone. Keep keys stable: they are part of cadc.manifest/v1.

export type StrategyName = 'cadc' | 'random' | 'mmssr' | 'task-balanced' | 'less' | 'icons' | 'length' | 'loss-band';

/** Every selection strategy, in the order the CLI's help and the settings list them. */
export const STRATEGIES: readonly StrategyName[] = ['cadc', 'random', 'mmssr', 'task-balanced', 'less', 'icons', 'length', 'loss-band'];

/** How CADC picks samples inside one capability's quota (docs/method.md §1.4, §7). */
export type WithinCapabilityRule =
  | 'stratified' // quotas per probe group × style bin ∝ bin size, seeded random inside each bin
  | 'top-influence' // the paper read literally: top-B_k by I_k (kept for fidelity; collapses coverage)
  | 'influence-weighted' // stratified quotas, sampling ∝ exp(z-scored influence) inside each bin
  | 'style' // quotas per interaction style only (capability × style bins), seeded random inside
  | 'sub-capability' // quotas per sub-capability × style bin ∝ bin size, seeded random inside (default)
  | 'difficulty'; // quotas per probe group × style × difficulty band (tertile of the proxy's final loss in the capability)

/** How CADC splits the budget over capabilities (docs/method.md §1.4). */
export type BalanceRule = 'even' | 'proportional' | 'sqrt';

export type ProbeSource = 'auto' | 'file' | 'label' | 'clusters';

/**
 * What unsupervised probe groups (micro-clusters) are formed on (docs/method.md §1.2): the samples'
 * trajectories, their instruction text (TF-IDF, randomly projected) or both. Capabilities always come
 * from the groups' trajectories.
 */
export type GroupSignal = 'trajectories' | 'text' | 'text+trajectories';

/** A sample's capability: the argmax of its z-scored influence (the paper), or its probe group's capability. */
export type CapabilityAssignment = 'influence' | 'group';

export interface CurationConfig {
  seed: number;
  /**
   * Budget: a share of the pool in (0, 1] (`budgetUnit: 'fraction'`) or a whole number of samples
   * ≥ 1 (`budgetUnit: 'count'`). Without a unit (configs and manifests written before it existed)
   * a budget ≤ 1 is a share and one above is a count. See `budgetUnitOf`.
   */
  budget: number;
  /** How `budget` reads; `--budget 1` is one sample ('count'), `100%` or `1.0` the whole pool ('fraction'). */
  budgetUnit?: BudgetUnit;
  strategy: StrategyName;
  features: {
    questionBuckets: number;
    maxQuestionNgrams: number;
    answerVocab: number;
    /** Decode images with sharp when they resolve. */
    images: boolean;
  };
  proxy: {
    embedDim: number;
    hiddenDim: number;
    /** Fraction of the pool used for warm-up, with a floor of minWarmup samples. */
    warmupFraction: number;
    minWarmup: number;
    /** Checkpoints T (one per warm-up epoch). */
    checkpoints: number;
    learningRate: number;
    batchSize: number;
    optimizer: 'adam' | 'sgd';
  };
  gradients: {
    /**
     * Projection size per side of each layer: a layer's projected gradient has d×d entries. 'auto'
     * sizes it to the pool (gradients/sketch.ts: 32 up to 4,096 samples, 16 up to 16,384, else 8).
     * v1 manifests before 'auto' existed hold 8.
     */
    projectionDim: number | 'auto';
    /** Storage precision of trajectories. */
    storage: 'float32' | 'float16';
    /** Samples per ORT batch when computing trajectories. */
    batchSize: number;
  };
  capabilities: {
    probe: ProbeSource;
    /** Label field for probe groups when probe = 'label' (auto picks one). */
    labelField?: string;
    /** Number of micro-clusters when probe groups are unsupervised (0 = auto ≈ √n, capped). */
    microClusters: number;
    /** What micro-clusters are formed on. Optional in v1 (absent: 'trajectories', as before it existed). */
    groupSignal?: GroupSignal;
    /**
     * Seed of the unsupervised probe groups' formation (k-means start, text projection). Unset: the
     * run's seed. The default, a fixed number, makes text groups a function of the dataset alone, so a
     * new proxy seed changes the trajectories but not the groups. Optional in v1.
     */
    groupSeed?: number;
    /** How a sample's (hard) capability is decided. Optional in v1 (absent: 'influence'). */
    assign?: CapabilityAssignment;
    /**
     * The group graph, for probe groups formed on the instruction text: 'trajectories-and-text' (the
     * cosine of the group trajectories centred on the pool's mean gradient, times the cosine of the
     * groups' exact TF-IDF centroids, each clipped at 0: an edge needs both) or 'trajectories' (the
     * cosine of the uncentred group trajectories alone). Label and probe-file groups always use
     * 'trajectories'. Optional in v1 (absent: 'trajectories', as before it existed).
     */
    graph?: 'trajectories' | 'trajectories-and-text';
    /** Edge threshold τ on the group cosine graph; 'auto' keeps each node's strongest edges. */
    threshold: number | 'auto';
    /** Louvain resolution γ. */
    resolution: number;
    /**
     * How communities and the automatic K are found on the group graph: 'consensus' (perturbed Louvain
     * runs, K by their stability, average linkage on the co-association; capabilities/consensus.ts) or
     * 'louvain' (one run, K = its count), or 'stable-k' (K by the perturbed runs' stability, the
     * partition one Louvain run split or merged to it). Optional in v1 (absent: 'louvain', as before it existed).
     */
    communities?: 'louvain' | 'consensus' | 'stable-k';
    /**
     * How many proxies' trajectory cosines the group graph averages (capabilities/ensemble.ts): 'auto'
     * (until the measured agreement between proxies predicts a graph reliability of 0.95, at most 32
     * and n·R ≤ 16,384, so pools of 16,384 rows or more train one) or a fixed count. Optional in v1
     * (absent: 1, as before it existed).
     */
    proxies?: number | 'auto';
    /** 'auto' discovers K; a number forces it. */
    k: number | 'auto';
  };
  selection: {
    /**
     * How the budget is split over capabilities: 'even' (the paper: B/K each, shortfalls passed on),
     * 'proportional' (to each capability's size; bins inside as usual) or 'sqrt' (to the square root of
     * its size, capped by it: temperature-scaled mixing between the two).
     */
    balance: BalanceRule;
    within: WithinCapabilityRule;
    /** Exclude exact duplicates and near duplicates (SimHash Hamming distance ≤ this; -1 = off). */
    nearDuplicateBits: number;
    /**
     * Drop this top fraction of self-influence before choosing (outliers); 0 = keep all. 'auto' =
     * CADC_SELF_INFLUENCE_DROP for the cadc strategy and 0 for every other one (so baselines stay
     * what they are); a number applies to every strategy.
     */
    dropTopSelfInfluence: number | 'auto';
    /**
     * Task-label field for task-balanced, LESS and ICONS (their tasks / target groups). Unset: the
     * first present of task_name, task, source, category, dataset, ability; none → the probe groups.
     */
    taskField?: string;
    /**
     * mmSSR: a label field whose values (one of the 9 STYLES, e.g. 'yes/no') replace the rule-based
     * primary interaction style where present. Unset: rule-based styles only.
     */
    styleField?: string;
    /** ICONS: a sample gets a vote from each target group whose influence column it exceeds at this quantile. */
    iconsPercentile: number;
    /** loss-band (perplexity-mid): the quantile band [low, high] of last-checkpoint proxy loss to draw from. */
    lossBand: [number, number];
    /** length: 'longest' answers first (the usual baseline) or 'shortest'; ties by pool order. */
    lengthOrder: 'longest' | 'shortest';
    /**
     * Also select flagged samples (Pool.flags: an image that does not resolve or leaves the root, a
     * real `<image>` token mismatch). Default false: every strategy and the alignment stage leave
     * them out (selection/helpers.ts `selectable`) and the manifest counts them under `excluded`.
     */
    includeFlagged: boolean;
  };
  curriculum: {
    /** Stage order: by self-influence decay (learned-first first) or none (one stage). */
    order: 'decay' | 'none';
    /** Vision-Flan's final format-alignment stage (docs/method.md §3); see curriculum/alignment.ts. */
    alignment: AlignmentConfig;
  };
}

/**
 * A small alignment stage appended after the capability stage(s) (Vision-Flan: ~1,000 samples suffice).
 * Its samples come out of the budget: the strategy is asked for B − A, A = min(size, ⌊maxShare·B⌋,
 * matching unique samples the strategy did not take).
 */
export interface AlignmentConfig {
  /** 'auto' = on when strategy is 'task-balanced' (the Vision-Flan recipe), off otherwise. */
  enabled: 'auto' | boolean;
  /** Target number of alignment samples. */
  size: number;
  /** Never more than this share of the budget, so alignment cannot swallow the capability stages. */
  maxShare: number;
  /**
   * 'long-answer': free-form answers of at least minAnswerChars characters that are not yes/no,
   * multiple-choice or short-answer style; 'label': labels[field] is one of values.
   */
  predicate: 'long-answer' | 'label';
  minAnswerChars: number;
  field?: string;
  values?: string[];
}

/**
 * The share of highest self-influence samples CADC leaves out by default. Chosen by
 * `npm run bench:quality` (3 held-out splits × 3 budgets): with it CADC beat random's seed mean on
 * every split and budget, against its random control (README, "How selection works").
 */
export const CADC_SELF_INFLUENCE_DROP = 0.1;

export type BudgetUnit = 'fraction' | 'count';

/** The unit a budget number reads in: the one given, else ≤ 1 a share of the pool and above it a count. */
export function budgetUnitOf(budget: number, unit?: BudgetUnit): BudgetUnit {
  return unit ?? (budget <= 1 ? 'fraction' : 'count');
}

/** The number of samples a budget asks for in a pool of n, before it is capped at the pool. */
export function requestedCount(budget: number, n: number, unit?: BudgetUnit): number {
  if (!(budget > 0)) throw new Error(`Budget must be positive, got ${budget}.`);
  return budgetUnitOf(budget, unit) === 'fraction' ? Math.max(1, Math.round(Math.min(1, budget) * n)) : Math.max(1, Math.floor(budget));
}

/** A budget as its user wrote it: `5%` for a share, `2000` for a count. */
export function budgetText(budget: number, unit?: BudgetUnit): string {
  return budgetUnitOf(budget, unit) === 'fraction' ? `${+(budget * 100).toFixed(4)}%` : String(Math.floor(budget));
}

/** The self-influence drop in force when `strategy` selects under `setting` ('auto' depends on the strategy). */
export function selfInfluenceDrop(setting: number | 'auto', strategy: StrategyName): number {
  return setting === 'auto' ? (strategy === 'cadc' ? CADC_SELF_INFLUENCE_DROP : 0) : setting;
}

export const DEFAULT_CONFIG: CurationConfig = {
  seed: 42,
  budget: 0.05,
  strategy: 'cadc',
  features: { questionBuckets: 1 << 16, maxQuestionNgrams: 64, answerVocab: 1024, images: true },
  proxy: {
    embedDim: 128,
    hiddenDim: 128,
    warmupFraction: 0.05,
    minWarmup: 256,
    checkpoints: 4,
    learningRate: 0.003,
    batchSize: 64,
    optimizer: 'adam',
  },
  // float16: half the memory of a run's trajectories (unit-vector entries lose ≈ 5e-4 relative precision).
  // 'auto': the sketch grows on small pools, where its noise made the capabilities unstable
  // (bench:capability-ablation; the trajectories stay within 64 MiB, gradients/sketch.ts).
  gradients: { projectionDim: 'auto', storage: 'float16', batchSize: 2048 },
  capabilities: {
    probe: 'auto',
    microClusters: 0,
    // Probe groups on instruction text, each sample in its group's capability: chosen by
    // bench/capabilities.ts (agreement with human labels and seed stability, averaged over 4 datasets).
    groupSignal: 'text',
    // Groups independent of the proxy's seed (bench/capabilities.ts: seed stability).
    groupSeed: 0,
    assign: 'group',
    // bench:capability-ablation: on all four labelled sets, higher agreement with the labels and
    // higher seed stability than the trajectory cosine alone (docs/method.md §7).
    graph: 'trajectories-and-text',
    threshold: 'auto',
    resolution: 1,
    // One Louvain run: bench/capabilities.ts found consensus communities (K by stability) less stable
    // between seeds and further from the labels on llava-eval-pool (docs/method.md §7).
    communities: 'louvain',
    // Small pools average the graph over proxies until it is reliable (bench:capabilities: seed stability).
    proxies: 'auto',
    k: 'auto',
  },
  // 'proportional' is the default because bench/results/quality.json shows it ahead of random and the
  // paper's even split (and the √size split) behind it on held-out data; --balance even keeps the
  // paper's rule. 'sub-capability' bins: at or above 'stratified' at every budget in two rounds of
  // bench:quality (docs/method.md §7).
  selection: {
    balance: 'proportional',
    within: 'sub-capability',
    nearDuplicateBits: 3,
    dropTopSelfInfluence: 'auto',
    // ICONS' published rule (docs/method.md §5): samples above the 80th percentile of a task's influence vote.
    iconsPercentile: 0.8,
    // Perplexity-mid: the middle half of the loss distribution.
    lossBand: [0.25, 0.75],
    lengthOrder: 'longest',
    includeFlagged: false,
  },
  curriculum: {
    order: 'decay',
    // minAnswerChars 400 (≈ 70 words): clearly past the 40-word line where the style detector stops
    // calling an answer a short description, so only detailed free-form answers (the GPT-4-style
    // alignment data Vision-Flan means) qualify. Measured on the real datasets (test/fixtures; the full llava-eval-pool via CADC_BENCH_DATA) (answer characters):
    // owleval median 201, 166 of 414 rows ≥ 400; vision-flan-205 95th percentile 214, 7 of 205 ≥ 400;
    // llava-eval-pool 99th percentile 18, none ≥ 400 (benchmark answers, nothing to align with).
    // 200 would let two-sentence task answers in; 600+ would leave owleval only 96 candidates.
    alignment: { enabled: 'auto', size: 1000, maxShare: 0.2, predicate: 'long-answer', minAnswerChars: 400 },
  },
};

/** Deep-merge a partial config over the defaults (arrays and scalars replace). */
export function resolveConfig(partial: DeepPartial<CurationConfig> = {}): CurationConfig {
  return mergeDeep(
    structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>,
    partial as Record<string, unknown>,
  ) as unknown as CurationConfig;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function mergeDeep(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const current = target[key];
    if (value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object') {
      mergeDeep(current as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
  return target;
}
