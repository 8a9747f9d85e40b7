// Stage progress and wall-time per stage of a curation run (what `onProgress` and `timingsMs` report).
import type { ProgressFn, StageName } from '../runtime/progress';

/**
 * Stage progress and timings. Every stage of STAGES is reported once, in order: `begin` … `end`
 * (fraction 0 … 1) when it runs, `cached` (fraction 1, cached: true) when its result came from the cache.
 */
export class StageClock {
  readonly timings: Record<string, number> = {};
  private readonly start = performance.now();
  private open: { stage: StageName; t: number } | undefined;
  constructor(private readonly progress: ProgressFn) {}

  begin(stage: StageName): void {
    if (this.open) this.end(this.open.stage);
    this.open = { stage, t: performance.now() };
    this.progress({ stage, fraction: 0 });
  }

  report(stage: StageName, fraction: number, message?: string): void {
    if (this.open?.stage === stage) this.progress({ stage, fraction: Math.max(0, Math.min(1, fraction)), ...(message ? { message } : {}) });
  }

  end(stage: StageName): void {
    if (this.open?.stage !== stage) return;
    this.timings[stage] = Math.round((performance.now() - this.open.t) * 10) / 10 + (this.timings[stage] ?? 0);
    this.open = undefined;
    this.progress({ stage, fraction: 1 });
  }

  cached(stage: StageName): void {
    this.progress({ stage, fraction: 1, cached: true });
  }

  async run<T>(stage: StageName, fn: (report: (fraction: number, message?: string) => void) => Promise<T> | T): Promise<T> {
    this.begin(stage);
    const result = await fn((fraction, message) => this.report(stage, fraction, message));
    this.end(stage);
    return result;
  }

  total(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }
}
