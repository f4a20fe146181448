package io.tributary.state;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One-shot wake-ups for live readers, keyed by stream id. Readers register from any thread; the
 * apply thread fires all watchers of a stream after each change to it (append, close, delete).
 * Watchers must not block: they hand work to their own event loop. Registration is bounded by the
 * caller (SSE/long-poll limits); the count here is for metrics.
 *
 * <p>A watcher or feed that throws is logged and skipped, never passed on: the change is already
 * applied, so a wake-up that fails (typically an executor already shut down while the node
 * stops) is not a fault of the state machine, and thrown into the apply it stopped the replica
 * (fail-stop, exit 70) on a clean shutdown, seen in CI, and left the stream's other watchers
 * unwoken.
 */
public final class WatchRegistry {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WatchRegistry.class);
  /** A registered watcher; cancel it when the reader goes away. */
  public interface Handle {
    void cancel();
  }

  private final ConcurrentHashMap<Long, List<Runnable>> watchers = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  /** Wake-ups that threw: apply threads count (the log is thinned by it), tests read. */
  private final java.util.concurrent.atomic.AtomicLong wakeFailures = new java.util.concurrent.atomic.AtomicLong();
  /** Told of every change, watched or not (node-wide feeds such as subscriptions); must not block. */
  private volatile java.util.function.LongConsumer changes;

  /** Sets the one listener told of every changed stream id on the apply thread; it must only enqueue. */
  public void onEveryChange(java.util.function.LongConsumer listener) {
    this.changes = listener;
  }

  public Handle register(long streamId, Runnable wake) {
    watchers.compute(streamId, (k, list) -> {
      List<Runnable> l = list == null ? new ArrayList<>(2) : list;
      l.add(wake);
      return l;
    });
    count.incrementAndGet();
    return () -> watchers.computeIfPresent(streamId, (k, list) -> {
      if (list.remove(wake)) {
        count.decrementAndGet();
      }
      return list.isEmpty() ? null : list;
    });
  }

  /** Fires and removes every watcher of {@code streamId}. Apply thread. */
  void fire(long streamId) {
    java.util.function.LongConsumer feed = changes;
    if (feed != null) {
      try {
        feed.accept(streamId);
      } catch (RuntimeException e) {
        wakeFailed(streamId, e);
      }
    }
    List<Runnable> fired = watchers.remove(streamId);
    if (fired == null) {
      return;
    }
    count.addAndGet(-fired.size());
    for (Runnable r : fired) {
      try {
        r.run();
      } catch (RuntimeException e) {
        wakeFailed(streamId, e);
      }
    }
  }

  private void wakeFailed(long streamId, RuntimeException e) {
    long n = wakeFailures.incrementAndGet();
    if (Long.bitCount(n) == 1) { // the 1st, 2nd, 4th, ...: a node stopping fails many at once
      LOG.warn("waking a reader of stream {} failed ({} so far); the change is applied, the replica goes on",
          streamId, n, e);
    }
  }

  /** Wake-ups that threw since start. */
  public long wakeFailures() {
    return wakeFailures.get();
  }

  /** Fires every watcher (after a snapshot is reloaded). */
  void fireAll() {
    for (Long id : List.copyOf(watchers.keySet())) {
      fire(id);
    }
  }

  public int size() {
    return count.get();
  }
}
