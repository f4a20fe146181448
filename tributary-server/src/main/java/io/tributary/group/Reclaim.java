package io.tributary.group;

import io.tributary.state.GroupState;
import io.tributary.storage.SegmentStore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-segment reclamation on a node that does not tier (the cold tier does the same as part of
 * its pass). One daemon thread, {@code tributary-reclaim}, visits every group each
 * {@code reclaim-interval-ms}:
 *
 * <pre>
 *   watermark = the group's reclaim low watermark (GroupState#reclaimLowWatermark): below it
 *               every record is garbage (removed or expired streams, bytes below a retention
 *               floor no fork reads, replaced snapshot blobs)
 *   delete the oldest segment files ending at or below it and at or below the end of the
 *   previous retained metadata snapshot, never the last one (SegmentStore#reclaimBelow)
 *   the oldest segment is garbage but a snapshot does not cover it yet: ask this replica for a
 *   snapshot, and (on the leader) commit a Nop so there is an entry to take the next one at
 * </pre>
 *
 * Two snapshots must lie past a segment before it goes: a damaged latest snapshot falls back to
 * the previous one ({@code SnapshotFallback}), which truncates the segments to its end and
 * re-applies the log from there, so everything up to that end must still be on disk.
 *
 * <p>A segment holding one live record stays whole: garbage interleaved with live records is
 * not reclaimed (rewriting live records elsewhere, i.e. compaction, is not built).
 *
 * <p>Threads: {@link #pass} runs on {@code tributary-reclaim} only (a test may call it instead of
 * starting the thread). It reads published views and the store's segment array, deletes files off
 * the apply thread exactly as the cold tier does ({@link SegmentStore} orders it with apply, patch
 * and truncation), and asks the host for snapshots and Nop entries through {@link Upkeep}.
 */
final class Reclaim implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Reclaim.class);
  /** Snapshot requests for one group at most this often (each takes a snapshot of the group). */
  private static final long SNAPSHOT_REQUEST_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** What a pass asks of the host when a snapshot stands between a garbage segment and its deletion. */
  interface Upkeep {
    /** Asks this replica for a snapshot of group {@code g} now (fails when nothing was applied since the last). */
    void requestSnapshot(int g) throws java.io.IOException;

    /** On the leader of {@code g}: commits an entry that changes nothing, so a later snapshot has a new index. */
    void commitNop(int g);
  }

  private final int groups;
  private final IntFunction<GroupState> state;
  private final long intervalNanos;
  private final GroupMetrics metrics;
  private final Upkeep upkeep;
  private final long[] lastSnapshotRequestNanos;
  private volatile boolean closed;
  private final Thread thread;

  Reclaim(int groups, IntFunction<GroupState> state, long intervalMillis, GroupMetrics metrics, Upkeep upkeep) {
    this.groups = groups;
    this.state = state;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    this.metrics = metrics;
    this.upkeep = upkeep;
    this.lastSnapshotRequestNanos = new long[groups];
    java.util.Arrays.fill(lastSnapshotRequestNanos, Long.MIN_VALUE / 2);
    this.thread = new Thread(this::run, "tributary-reclaim");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    while (!closed) {
      LockSupport.parkNanos(intervalNanos);
      if (!closed) {
        pass(System.nanoTime());
      }
    }
  }

  /** One visit of every group; returns the bytes deleted. Reclaim thread (or a test). */
  long pass(long nowNanos) {
    long total = 0;
    for (int g = 0; g < groups && !closed; g++) {
      try {
        total += reclaim(g, nowNanos);
      } catch (RuntimeException e) {
        // e.g. the group's store replaced by a snapshot install mid-pass: the next pass starts afresh
        LOG.warn("reclaim of group {} failed; retrying at the next pass", g, e);
      }
    }
    return total;
  }

  private long reclaim(int g, long nowNanos) {
    GroupState s = state.apply(g);
    if (s == null) {
      return 0;
    }
    SegmentStore store = s.store();
    long watermark = s.reclaimLowWatermark();
    long dropped = store.reclaimBelow(watermark);
    if (dropped > 0) {
      metrics.reclaimed(g, dropped);
      LOG.info("group {}: reclaimed {} bytes of segments holding only garbage (first position now {})", g, dropped,
          store.firstPosition());
      return dropped;
    }
    long oldestEnd = store.oldestSegmentEnd();
    if (oldestEnd > 0 && oldestEnd <= watermark && oldestEnd > store.previousSnapshotEnd()
        && nowNanos - lastSnapshotRequestNanos[g] >= SNAPSHOT_REQUEST_GAP_NANOS) {
      // the oldest segment is all garbage, but the two retained snapshots do not both lie past it
      lastSnapshotRequestNanos[g] = nowNanos;
      try {
        upkeep.requestSnapshot(g);
      } catch (java.io.IOException e) {
        LOG.debug("group {}: {}", g, e.getMessage());
      }
      if (oldestEnd <= store.snapshotEnd()) {
        upkeep.commitNop(g); // the latest snapshot covers it: the previous one will once another is taken
      }
    }
    return 0;
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
  }
}
