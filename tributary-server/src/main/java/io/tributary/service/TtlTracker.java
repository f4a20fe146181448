package io.tributary.service;

import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sliding-TTL renewal by reads. A read records its time locally (so this node's next expiry check
 * sees it at once) and, at most every {@code touchIntervalMillis} per stream, submits a replicated
 * touch so every replica and the leader's apply-time checks see it too. The map is bounded: when
 * it grows past {@link #ENTRIES_MAX} it is cleared, which only delays local visibility of reads
 * until their touches apply. Thread-safe.
 */
final class TtlTracker {
  static final int ENTRIES_MAX = 100_000;

  /** Submits a touch for a stream. */
  interface Toucher {
    void touch(StreamKey key, long streamId);
  }

  private final Clock clock;
  private final long touchIntervalMillis;
  private final Toucher toucher;
  private final ConcurrentHashMap<Long, long[]> lastRead = new ConcurrentHashMap<>();

  TtlTracker(Clock clock, long touchIntervalMillis, Toucher toucher) {
    this.clock = clock;
    this.touchIntervalMillis = touchIntervalMillis;
    this.toucher = toucher;
  }

  /** Records a read of a TTL stream and submits a touch if the last one is old enough. */
  void read(StreamKey key, long streamId) {
    long now = clock.nowMillis();
    if (lastRead.size() > ENTRIES_MAX) {
      lastRead.clear();
    }
    long[] slot = lastRead.computeIfAbsent(streamId, k -> new long[] {0, Long.MIN_VALUE});
    boolean send;
    synchronized (slot) {
      slot[0] = Math.max(slot[0], now);
      send = now - slot[1] >= touchIntervalMillis;
      if (send) {
        slot[1] = now;
      }
    }
    if (send) {
      toucher.touch(key, streamId);
    }
  }

  /** The latest local read time of a stream, or {@link Long#MIN_VALUE}. */
  long lastReadMillis(long streamId) {
    long[] slot = lastRead.get(streamId);
    if (slot == null) {
      return Long.MIN_VALUE;
    }
    synchronized (slot) {
      return slot[0];
    }
  }
}
