package io.tributary.service;

import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sliding-TTL renewal by reads. A read records its time locally (so this node's next expiry check
 * sees it at once) and submits a replicated touch so every replica, and the leader's apply-time
 * checks, see it too. Touches are coalesced per stream: at most one in flight; reads that arrive
 * meanwhile cause exactly one more touch when it completes. So the replicated last access trails
 * the latest read by about one commit round trip, whatever the read rate. The map is bounded:
 * past {@link #ENTRIES_MAX} idle entries are dropped. Thread-safe (each slot is guarded by itself).
 */
final class TtlTracker {
  static final int ENTRIES_MAX = 100_000;

  /** Submits a touch for a stream; the future completes when it is applied (or failed). */
  interface Toucher {
    CompletableFuture<?> touch(StreamKey key, long streamId);
  }

  private static final class Slot {
    long lastReadMillis = Long.MIN_VALUE;
    boolean inFlight;
    /** Completes when the touch that covers the reads recorded while one was in flight applies; null: none. */
    CompletableFuture<Void> next;
  }

  private final Clock clock;
  private final Toucher toucher;
  private final ConcurrentHashMap<Long, Slot> slots = new ConcurrentHashMap<>();

  TtlTracker(Clock clock, Toucher toucher) {
    this.clock = clock;
    this.toucher = toucher;
  }

  /**
   * Records a read of a TTL stream and makes sure a touch follows it; the result completes when a
   * touch that covers this read has applied (every replica then counts the read), exceptionally
   * when that touch failed.
   */
  CompletableFuture<Void> read(StreamKey key, long streamId) {
    if (slots.size() > ENTRIES_MAX) {
      slots.values().removeIf(s -> {
        synchronized (s) {
          return !s.inFlight;
        }
      });
    }
    Slot slot = slots.computeIfAbsent(streamId, k -> new Slot());
    synchronized (slot) {
      slot.lastReadMillis = Math.max(slot.lastReadMillis, clock.nowMillis());
      if (slot.inFlight) {
        if (slot.next == null) {
          slot.next = new CompletableFuture<>();
        }
        return slot.next;
      }
      slot.inFlight = true;
    }
    CompletableFuture<Void> covers = new CompletableFuture<>();
    send(key, streamId, slot, covers);
    return covers;
  }

  private void send(StreamKey key, long streamId, Slot slot, CompletableFuture<Void> covers) {
    CompletableFuture<?> f;
    try {
      f = toucher.touch(key, streamId);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((v, e) -> {
      CompletableFuture<Void> next;
      synchronized (slot) {
        next = slot.next;
        slot.next = null;
        slot.inFlight = next != null && e == null;
      }
      if (e != null) {
        covers.completeExceptionally(e);
        if (next != null) {
          next.completeExceptionally(e); // as before: reads during a failed touch wait for the next read's touch
        }
        return;
      }
      covers.complete(null);
      if (next != null) {
        send(key, streamId, slot, next);
      }
    });
  }

  /** The latest local read time of a stream, or {@link Long#MIN_VALUE}. */
  long lastReadMillis(long streamId) {
    Slot slot = slots.get(streamId);
    if (slot == null) {
      return Long.MIN_VALUE;
    }
    synchronized (slot) {
      return slot.lastReadMillis;
    }
  }
}
