package io.tributary.bench;

/**
 * The measured ops of a paced writer, by sequence number: warm-up events come first and are not
 * counted, then {@code measured} events. Immutable; shared by the writer and all readers.
 */
record SeqWindow(long first, long count) {
  boolean contains(long seq) {
    return seq >= first && seq < first + count;
  }

  long total() {
    return first + count;
  }

  static SeqWindow of(double ratePerS, java.time.Duration warmup, java.time.Duration duration) {
    long warm = (long) Math.ceil(ratePerS * warmup.toNanos() / 1e9);
    long measured = Math.max(1, (long) Math.floor(ratePerS * duration.toNanos() / 1e9));
    return new SeqWindow(warm, measured);
  }
}
