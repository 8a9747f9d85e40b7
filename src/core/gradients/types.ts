// Learning trajectories: per sample and checkpoint, the L2-normalised projected gradient g(z,t)
// (docs/method.md §1.1), the loss and the exact squared gradient norm.

export interface Trajectories {
  n: number;
  /** Checkpoints. */
  T: number;
  /** Dimension of one projected gradient (sum over layers of d_out·d_in after projection). */
  D: number;
  storage: 'float32' | 'float16';
  /** Normalised g(·,t) for samples [start, end) as float32, row-major [end-start, D]. */
  slice(t: number, start: number, end: number): Float32Array;
  /** Per-sample mean cross-entropy over the answer at each checkpoint, index i*T + t. */
  loss: Float32Array;
  /** Exact ‖∇ℓ(z;θ_t)‖² over the proxy's trained parameters, index i*T + t. */
  gradNormSq: Float32Array;
  /** Learning rate η_t of each checkpoint. */
  eta: Float64Array;
  /** Bytes held per sample (g, loss and norms). */
  bytesPerSample: number;
  /**
   * g(·,t) for samples [start, end) in the stored precision (float16 bit patterns or float32), row-major
   * [end-start, D]; valid until the next call (it may be a reused buffer). For writing them out unchanged.
   */
  rows(t: number, start: number, end: number): Float32Array | Uint16Array;
  /** The stored g per checkpoint ([n·D] float32, or float16 bit patterns), when the object holds them in memory. */
  stored?: (Float32Array | Uint16Array)[];
  /** Where the rows live: in memory, or in a temporary file read slice by slice. */
  residence: 'memory' | 'disk';
}
