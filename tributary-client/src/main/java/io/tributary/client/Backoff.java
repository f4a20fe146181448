package io.tributary.client;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Exponential backoff with full jitter between retries of one request, honouring the server's
 * {@code Retry-After} (capped: a long hint must not stall a failover the client can route around).
 * Not thread-safe: one per retry loop, owned by the thread running it.
 */
final class Backoff {
  private static final long MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(1);

  private long ceilingNanos = MIN_NANOS;

  /** Sleeps before the next attempt. */
  void pause(TributaryException last) throws InterruptedException {
    long hinted = Math.min(MAX_NANOS, TimeUnit.MILLISECONDS.toNanos(last == null ? 0 : last.retryAfterMillis()));
    long jittered = ThreadLocalRandom.current().nextLong(ceilingNanos / 2, ceilingNanos + 1);
    ceilingNanos = Math.min(MAX_NANOS, ceilingNanos * 2);
    TimeUnit.NANOSECONDS.sleep(Math.max(hinted, jittered));
  }

  void reset() {
    ceilingNanos = MIN_NANOS;
  }
}
