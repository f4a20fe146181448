package io.tributary.http;

import io.tributary.common.Clock;
import java.util.function.LongUnaryOperator;

/**
 * The protocol's CDN-collapsing cursor (protocol.md §10.2): 20-second intervals since
 * 2024-10-09T00:00:00Z; a client cursor at or ahead of the current interval is answered with a
 * strictly larger one, jittered. Randomness is injected. Thread-safe.
 */
final class Cursors {
  static final long EPOCH_MILLIS = 1728432000000L;
  static final long INTERVAL_MILLIS = 20_000;

  private final Clock clock;
  /** Given an exclusive bound n, returns a uniform value in [0, n). */
  private final LongUnaryOperator random;

  Cursors(Clock clock, LongUnaryOperator random) {
    this.clock = clock;
    this.random = random;
  }

  String next(String clientCursor) {
    long interval = Math.floorDiv(clock.nowMillis() - EPOCH_MILLIS, INTERVAL_MILLIS);
    long c = -1;
    if (clientCursor != null && clientCursor.matches("[0-9]{1,18}")) {
      c = Long.parseLong(clientCursor);
    }
    if (c >= interval) {
      long jitterSeconds = 1 + random.applyAsLong(3600);
      return Long.toString(c + Math.max(1, (jitterSeconds + 19) / 20));
    }
    return Long.toString(interval);
  }
}
