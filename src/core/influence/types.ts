// Trajectory influence and attribution (docs/method.md §1.3).

export interface Attribution {
  K: number;
  /** I_k(z) = Σ_t η_t cos(g(z,t), ḡ_k(t)), row-major [n, K]. */
  influence: Float32Array;
  /**
   * Hard label: argmax_k of the per-capability z-scored influence ('influence'), or the capability of
   * the sample's probe group ('group'; samples without a group fall back to influence).
   */
  hard: Int32Array;
  /** Sub-capability of each sample within its hard label's capability (-1 when it has none). */
  child?: Int32Array;
  /** Σ_t η_t ‖∇ℓ(z;θ_t)‖². */
  selfInfluence: Float32Array;
  /** Mean and standard deviation of I_k over the pool (for z-scores). */
  mean: Float64Array;
  std: Float64Array;
}
