package io.tributary.group;

import io.tributary.state.FeatureLevel;
import io.tributary.state.GroupState;
import io.tributary.state.LiveRecords;
import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.SegmentStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reclamation on a node that does not tier: whole garbage segments deleted from the start of the
 * store (the cold tier does the same as part of its pass), and compaction of sealed segments with
 * garbage interleaved between live records. One daemon thread, {@code tributary-reclaim}, visits every group each
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
 * <p>A segment holding live records is compacted instead, in two steps over passes:
 *
 * <pre>
 *   plan:    for each sealed segment, the live records from published views (LiveRecords), read
 *            before the store's version; when the garbage not yet reclaimed is at least
 *            compact-garbage-percent-min of the segment, remember (version, live records)
 *   compact: once the previous retained snapshot was taken at or after that version, the plan's
 *            garbage is garbage in both retained snapshots: SegmentStore#compact rewrites the
 *            segment with the live records at their positions and the rest as holes
 * </pre>
 *
 * A plan waiting for snapshots asks for them as the whole-segment path does. Garbage never turns
 * live again (a removed stream's id is never reused, a trimmed floor never moves back), so a plan
 * stays valid however long it waits; the store refuses it after a truncation (the state went
 * back). A live record failing its check stops that segment's compaction until the scrub's
 * repair fixed it.
 *
 * <p>Threads: {@link #pass} runs on {@code tributary-reclaim} only (a test may call it instead of
 * starting the thread), which owns the plans and the per-segment live bytes looked at. It reads
 * published views and the store's segment array, deletes and rewrites files off the apply thread
 * ({@link SegmentStore} orders it with apply, patch and truncation), and asks the host for
 * snapshots and Nop entries through {@link Upkeep}.
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
  /** Live records one planning pass holds for a group at most (16 bytes each); past it the group is not compacted. */
  static final int LIVE_RECORDS_MAX = 1 << 22;
  private final int compactGarbagePercentMin;
  /** Per group: compactions planned, by segment base, for the store {@link #plannedOn} names. Reclaim thread. */
  private final List<Map<Long, Plan>> plans = new ArrayList<>();
  /**
   * Per group: each sealed segment's live bytes when it was last looked at; a segment whose live
   * bytes did not change since is not looked at again (its garbage, reclaimed or not, is as it
   * was). Reclaim thread.
   */
  private final List<Map<Long, Long>> looked = new ArrayList<>();
  private final SegmentStore[] plannedOn;
  /** The cluster's feature level: compaction waits for {@link FeatureLevel#SEGMENT_PADDING}. Any thread. */
  private final IntSupplier clusterLevel;

  /** A segment's live records {@code [starts, bytes)} as seen at store version {@code version}. */
  private record Plan(long version, long[] starts, int[] bytes, long liveBytes) {}
  private volatile boolean closed;
  private final Thread thread;

  Reclaim(int groups, IntFunction<GroupState> state, long intervalMillis, GroupMetrics metrics, Upkeep upkeep) {
    this(groups, state, intervalMillis, 0, FeatureLevel::supported, metrics, upkeep);
  }

  /**
   * @param compactGarbagePercentMin see {@code compact-garbage-percent-min}; 0: whole segments only
   * @param clusterLevel the cluster's feature level (a peer that cannot read padding records must
   *     never receive a compacted segment)
   */
  Reclaim(int groups, IntFunction<GroupState> state, long intervalMillis, int compactGarbagePercentMin,
      IntSupplier clusterLevel, GroupMetrics metrics, Upkeep upkeep) {
    this.groups = groups;
    this.clusterLevel = clusterLevel;
    this.compactGarbagePercentMin = compactGarbagePercentMin;
    this.plannedOn = new SegmentStore[groups];
    for (int g = 0; g < groups; g++) {
      plans.add(new HashMap<>());
      looked.add(new HashMap<>());
    }
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

  /** One visit of every group; returns the bytes deleted or turned into holes. Reclaim thread (or a test). */
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
    long compacted = compactionPass(g, s, store);
    long oldestEnd = store.oldestSegmentEnd();
    boolean oldestWaits = oldestEnd > 0 && oldestEnd <= watermark && oldestEnd > store.previousSnapshotEnd();
    long planWaits = oldestPlanWaiting(g, store);
    if ((oldestWaits || planWaits >= 0) && nowNanos - lastSnapshotRequestNanos[g] >= SNAPSHOT_REQUEST_GAP_NANOS) {
      // garbage the two retained snapshots do not both cover yet
      lastSnapshotRequestNanos[g] = nowNanos;
      try {
        upkeep.requestSnapshot(g);
      } catch (java.io.IOException e) {
        LOG.debug("group {}: {}", g, e.getMessage());
      }
      if ((oldestWaits && oldestEnd <= store.snapshotEnd())
          || (planWaits >= 0 && planWaits <= store.snapshotVersion())) {
        upkeep.commitNop(g); // the latest snapshot covers it: the previous one will once another is taken
      }
    }
    return compacted;
  }

  /** The lowest version of a plan the previous retained snapshot does not cover yet, or -1. */
  private long oldestPlanWaiting(int g, SegmentStore store) {
    long low = -1;
    for (Plan p : plans.get(g).values()) {
      if (p.version > store.previousSnapshotVersion() && (low < 0 || p.version < low)) {
        low = p.version;
      }
    }
    return low;
  }

  /** Compacts the planned segments two snapshots allow, then plans more; returns the bytes now in holes. */
  private long compactionPass(int g, GroupState s, SegmentStore store) {
    if (compactGarbagePercentMin == 0 || clusterLevel.getAsInt() < FeatureLevel.SEGMENT_PADDING) {
      return 0;
    }
    Map<Long, Plan> planned = plans.get(g);
    Map<Long, Long> seen = looked.get(g);
    if (plannedOn[g] != store) { // a snapshot install or a reload replaced the store
      planned.clear();
      seen.clear();
      plannedOn[g] = store;
    }
    long holes = 0;
    for (var it = planned.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Plan p = e.getValue();
      long base = e.getKey();
      try {
        long r = store.compact(base, p.starts, p.bytes, 0, p.starts.length, p.version);
        if (r >= 0) {
          holes += r;
          it.remove();
          LOG.info("group {}: compacted segment {}: {} bytes of garbage now holes, {} live bytes kept", g,
              SegmentStore.fileName(base), r, p.liveBytes);
        } else if (!holds(store, base) || p.version <= store.resetVersion()) {
          // the segment went, or the state went back to a snapshot after the plan: look afresh
          it.remove();
          seen.remove(base);
        }
      } catch (CorruptRecordException ex) {
        LOG.warn("group {}: segment {} not compacted: a live record fails its check ({}); the scrub repairs it first",
            g, SegmentStore.fileName(base), ex.getMessage());
        it.remove();
        seen.remove(base);
      }
    }
    if (holes > 0) {
      metrics.compacted(g, holes);
    }
    plan(g, s, store, planned, seen);
    return holes;
  }

  private static boolean holds(SegmentStore store, long base) {
    for (long b : store.segmentBases()) {
      if (b == base) {
        return true;
      }
    }
    return false;
  }

  private void plan(int g, GroupState s, SegmentStore store, Map<Long, Plan> planned, Map<Long, Long> seen) {
    // first: below the settled end every record's entry has published its views, so the views read
    // next list every live record there (an entry being applied has written records it has not
    // published yet; they must not look like garbage)
    long settled = store.settledEnd();
    long[] all = store.segmentBases();
    int sealed = 0;
    while (sealed + 1 < all.length && all[sealed + 1] <= settled) {
      sealed++;
    }
    if (sealed == 0) {
      return;
    }
    long[] bases = java.util.Arrays.copyOf(all, sealed + 1); // segments [bases[i], bases[i + 1]) are planned
    LiveRecords live = LiveRecords.of(s, bases[0], bases[bases.length - 1], LIVE_RECORDS_MAX);
    long version = store.version(); // after the views were read: their garbage is garbage at this version
    if (live == null) {
      LOG.warn("group {}: more than {} live records in sealed segments; not compacted", g, LIVE_RECORDS_MAX);
      return;
    }
    seen.keySet().retainAll(java.util.Arrays.stream(all).boxed().toList());
    for (int i = 0; i + 1 < bases.length; i++) {
      long base = bases[i];
      long end = bases[i + 1];
      if (planned.containsKey(base)) {
        continue;
      }
      int lo = live.firstAtOrAbove(base);
      int hi = live.firstAtOrAbove(end);
      long liveBytes = 0;
      for (int k = lo; k < hi; k++) {
        liveBytes += live.bytes()[k];
      }
      Long before = seen.put(base, liveBytes);
      if (before != null && before == liveBytes) {
        continue; // nothing turned to garbage here since the last look
      }
      long size = end - base;
      if ((i == 0 && lo == hi) || (size - liveBytes) * 100 < compactGarbagePercentMin * size) {
        continue; // the oldest and all garbage (deleted whole above), or too little to be worth a rewrite
      }
      long unreclaimed = store.unreclaimedGarbage(base, end, live.starts(), live.bytes(), lo, hi);
      if (unreclaimed * 100 >= compactGarbagePercentMin * size) {
        planned.put(base, new Plan(version, java.util.Arrays.copyOfRange(live.starts(), lo, hi),
            java.util.Arrays.copyOfRange(live.bytes(), lo, hi), liveBytes));
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
  }
}
