// A work buffer that successive steps of one computation borrow in turn. A fresh typed array of tens of
// megabytes costs a page fault per 4 KiB page on its first touch (≈ 11 µs a page in this project's
// benchmark VMs, ≈ 0.1 s for 40 MB); a buffer already touched is cleared in about a millisecond.
export class Float32Scratch {
  private buffer = new Float32Array(0);

  /**
   * A zeroed view of n floats over the shared buffer. When too small the buffer is replaced by one a
   * quarter larger than asked, so that a next borrower a little larger (the text centroids' sums after
   * the text k-means table: 40.0 MB after 37.5 MB at 45K rows) still fits. The view is the caller's until
   * the next call: one borrower at a time.
   */
  zeros(n: number): Float32Array {
    if (this.buffer.length < n) this.buffer = new Float32Array(Math.ceil(n * 1.25));
    else this.buffer.fill(0, 0, n);
    return this.buffer.subarray(0, n);
  }
}
