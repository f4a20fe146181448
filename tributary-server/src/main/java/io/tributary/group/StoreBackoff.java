package io.tributary.group;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Backs a node's object-store work off after failures: 100 ms, doubling to 5 s, reset by a
 * success. Uploads, garbage deletions and the orphan sweep share one, because they fail together
 * when the store is down and should not hammer it from three sides. Any thread.
 */
final class StoreBackoff {
  static final long MIN_MILLIS = 100;
  static final long MAX_MILLIS = 5000;

  private final AtomicInteger failuresInARow = new AtomicInteger();
  private volatile long untilNanos = System.nanoTime();

  /** True when the store may be called now. */
  boolean mayCall() {
    return System.nanoTime() - untilNanos >= 0;
  }

  void succeeded() {
    failuresInARow.set(0);
  }

  /** Records a failure and pushes the next call out; returns the failures in a row (callers log the 1st and every 20th). */
  int failed() {
    int n = failuresInARow.incrementAndGet();
    untilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis(n));
    return n;
  }

  static long backoffMillis(int failuresInARow) {
    return Math.min(MAX_MILLIS, MIN_MILLIS << Math.min(failuresInARow - 1, 10));
  }
}
