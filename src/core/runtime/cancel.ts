// Cancellation: an AbortSignal that fired becomes a CancelledError, which callers treat as a clean stop.

/** Thrown when an AbortSignal fires; callers treat it as a clean stop, not a failure. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}
