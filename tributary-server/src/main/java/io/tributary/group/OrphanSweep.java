package io.tributary.group;

import io.tributary.cold.BlockCache;
import io.tributary.cold.ObjectInfo;
import io.tributary.cold.ObjectLayout;
import io.tributary.cold.ObjectNotFoundException;
import io.tributary.cold.ObjectStore;
import io.tributary.cold.ObjectStoreException;
import io.tributary.common.Clock;
import io.tributary.config.TieringConfig;
import io.tributary.state.AppSnapshot;
import io.tributary.state.GroupState;
import io.tributary.state.StreamView;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes orphans: objects of a group's key layout ({@link ObjectLayout}) that no committed state
 * references. They appear when a leader dies, loses leadership or times out between an upload and
 * its publish (a chunk, a large snapshot blob), and when a best-effort deletion is lost (a replaced
 * or deleted stream's snapshot blob, a chunk whose publish was ignored). One per node:
 *
 * <pre>
 *   every orphan-sweep-interval-ms, for each group led here, from the group's cursor:
 *     list up to orphan-sweep-keys-max keys of g&lt;GGG&gt;/, then of snapshots/g&lt;GGG&gt;/
 *     a key is a candidate when it parses as this group's chunk or snapshot blob, was last
 *       modified orphan-grace-ms ago or earlier, and the latest applied state neither references
 *       it (a chunk in its stream's cold index, the blob of its stream's snapshot) nor queues it
 *       for the garbage collector
 *     per candidate: claim its stream ({@link UploadClaims}: no upload of it here meanwhile),
 *       HEAD it (still that old: nobody uploaded it again since the listing), check the state
 *       again, delete it, release the claim
 *   reaching the end of both prefixes completes a cycle; the next pass starts over
 * </pre>
 *
 * <p>Why a referenced object is never deleted. A reference is only ever created by a publish
 * committing, and a publish is refused when its entry is stamped more than the publish window
 * (half the grace) after its upload began ({@link io.tributary.state.Command.ColdChunksPublished}).
 * So an object whose bytes are older than the grace can only become referenced through a new
 * upload of the same key, which moves its last-modified time: uploads on this node are excluded by
 * the claim, and one on another node (a deposed leader finishing its last upload, a snapshot
 * published through another node) shows in the HEAD unless it lands between the HEAD and the
 * DELETE, a window of one round trip for a key that had to sit unreferenced for the whole grace.
 * A key this layout does not produce (an operator's file, another group's, a future layout) is
 * never touched, and keys outside the store's configured prefix are never listed. Deleting a key
 * that the state queues as garbage would be harmless but is left to the collector, which
 * acknowledges it through Raft.
 *
 * <p>Failures: an object-store error ends the pass and backs off through the node's shared
 * {@link StoreBackoff}, like uploads; the cursor stays, so the next pass resumes there. A node
 * that stops leading a group forgets that group's cursor; the new leader starts from the beginning.
 *
 * <p>Threads: {@code tributary-orphan-sweep} (one per node) runs every pass and owns the cursors;
 * the counters are adders, read by {@link #metrics} on any thread. It never runs on an event loop
 * or an apply thread and never waits for Raft; appends never wait for it.
 */
public final class OrphanSweep implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OrphanSweep.class);

  private final Replication host;
  private final ObjectStore store;
  private final BlockCache cache;
  private final Clock clock;
  private final UploadClaims claims;
  private final StoreBackoff backoff;
  private final long graceMillis;
  private final long intervalMillis;
  private final int keysMax;
  private final ScheduledExecutorService thread;
  /** Per group, sweep thread only: where the current cycle stands. */
  private final Cursor[] cursors;

  private final LongAdder deletedBySweep = new LongAdder();
  private final LongAdder deletedAtPublish = new LongAdder();
  private final LongAdder keysListed = new LongAdder();
  /** Per group: cycles completed (every key of the group's prefixes examined once). */
  private final AtomicLongArray cycles;
  private final LongAdder errors = new LongAdder();

  /** Position of a group's cycle: which prefix, and the last key examined in it (null: from the first). */
  private static final class Cursor {
    boolean snapshots;
    String after;
    long foreignKeys;

    void reset() {
      snapshots = false;
      after = null;
      foreignKeys = 0;
    }
  }

  OrphanSweep(Replication host, ObjectStore store, BlockCache cache, TieringConfig config, Clock clock, UploadClaims claims,
      StoreBackoff backoff) {
    this.host = host;
    this.store = store;
    this.cache = cache;
    this.clock = clock;
    this.claims = claims;
    this.backoff = backoff;
    this.graceMillis = config.orphanGraceMillis();
    this.intervalMillis = config.orphanSweepIntervalMillis();
    this.keysMax = Math.min(config.orphanSweepKeysMax(), ObjectStore.LIST_KEYS_MAX);
    this.cursors = new Cursor[host.groupCount()];
    this.cycles = new AtomicLongArray(cursors.length);
    for (int g = 0; g < cursors.length; g++) {
      cursors[g] = new Cursor();
    }
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tributary-orphan-sweep");
      t.setDaemon(true);
      return t;
    });
  }

  /** A sweep for a node that writes snapshot blobs to the store but does not tier (so has no {@link ColdTier}). */
  public static OrphanSweep withoutTiering(Replication host, ObjectStore store, BlockCache cache, TieringConfig config,
      Clock clock, UploadClaims claims) {
    return new OrphanSweep(host, store, cache, config, clock, claims, new StoreBackoff());
  }

  public void start() {
    thread.scheduleWithFixedDelay(this::pass, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  /** The tier deleted an object whose publish the state machine ignored (an orphan caught at once). Any thread. */
  void deletedAtPublish() {
    deletedAtPublish.increment();
  }

  /** One pass over the groups led here. Sweep thread. */
  private void pass() {
    for (int g = 0; g < cursors.length; g++) {
      if (!host.leads(g)) {
        cursors[g].reset();
        continue;
      }
      if (!backoff.mayCall()) {
        return;
      }
      try {
        sweepGroup(g);
      } catch (ObjectStoreException e) {
        errors.increment();
        int n = backoff.failed();
        if (n == 1 || n % 20 == 0) {
          LOG.warn("group {}: orphan sweep failed ({} object-store failures in a row, backing off {} ms): {}", g, n,
              StoreBackoff.backoffMillis(n), e.getMessage());
        }
        return;
      } catch (RuntimeException e) {
        errors.increment();
        LOG.warn("group {}: orphan sweep failed", g, e);
      }
    }
  }

  /** Lists up to {@link #keysMax} keys of group {@code g} from its cursor and deletes the orphans among them. */
  private void sweepGroup(int g) {
    Cursor c = cursors[g];
    int budget = keysMax;
    while (budget > 0) {
      String prefix = c.snapshots ? ObjectLayout.snapshotGroupPrefix(g) : ObjectLayout.chunkGroupPrefix(g);
      List<ObjectInfo> page = store.list(prefix, c.after, budget);
      keysListed.add(page.size());
      long nowMillis = clock.nowMillis();
      for (ObjectInfo o : page) {
        if (!host.leads(g)) {
          c.reset();
          return; // the new leader sweeps from its own state
        }
        examine(g, c, o, nowMillis);
      }
      if (page.size() == budget) {
        c.after = page.get(page.size() - 1).key();
        return; // more under this prefix: the next pass goes on from here
      }
      budget -= page.size();
      if (c.snapshots) {
        cycles.incrementAndGet(g);
        if (c.foreignKeys > 0) {
          LOG.info("group {}: {} objects under the group's prefixes are not of Tributary's key layout; left alone", g,
              c.foreignKeys);
        }
        c.reset();
        return;
      }
      c.snapshots = true;
      c.after = null;
    }
  }

  /** Deletes {@code o} if it is an orphan of group {@code g}. */
  private void examine(int g, Cursor c, ObjectInfo o, long nowMillis) {
    ObjectLayout.Parsed p = ObjectLayout.parse(o.key());
    if (p == null || p.group() != g) {
      c.foreignKeys++;
      return;
    }
    if (!olderThanGrace(o, nowMillis) || referenced(g, p, o.key())) {
      return;
    }
    if (!claims.claimSweep(g, p.streamId())) {
      return; // an upload of this stream is in flight here: maybe of this very key
    }
    try {
      ObjectInfo now = store.head(o.key());
      if (!olderThanGrace(now, clock.nowMillis()) || referenced(g, p, o.key())) {
        return; // uploaded again since the listing, or published meanwhile
      }
      store.delete(o.key());
      cache.invalidate(o.key());
      deletedBySweep.increment();
      LOG.info("group {}: deleted orphan object {} ({} bytes, last modified {} ms ago)", g, o.key(), now.sizeBytes(),
          clock.nowMillis() - now.lastModifiedMillis());
    } catch (ObjectNotFoundException e) {
      // already gone (a lost deletion that was retried, a concurrent collector): nothing to do
    } finally {
      claims.releaseSweep(g, p.streamId());
    }
  }

  private boolean olderThanGrace(ObjectInfo o, long nowMillis) {
    // a last-modified time in the future (clock skew, or unknown: Long.MAX_VALUE) makes the object young
    return nowMillis - o.lastModifiedMillis() >= graceMillis;
  }

  /**
   * True when the latest state applied here references {@code key} or queues it as garbage; also
   * when in doubt (the group's state is not loaded, a stream's view is not published yet).
   */
  private boolean referenced(int g, ObjectLayout.Parsed p, String key) {
    GroupState state = host.replica(g).state();
    if (state == null) {
      return true;
    }
    if (state.isQueuedGarbage(key)) {
      return true;
    }
    StreamView v = state.viewById(p.streamId());
    if (v == null) {
      return state.holdsStream(p.streamId());
    }
    return switch (p) {
      case ObjectLayout.Chunk ch -> v.cold().holds(ch.start(), ch.end());
      case ObjectLayout.SnapshotBlob b -> {
        AppSnapshot snap = v.snapshot();
        yield snap != null && key.equals(snap.objectKey());
      }
    };
  }

  /** Prometheus text of the sweep's counters (and the tier's orphans deleted at publish). Any thread. */
  public String metrics() {
    StringBuilder sb = new StringBuilder(512);
    sb.append("# TYPE tributary_cold_orphans_deleted_total counter\n")
        .append("tributary_cold_orphans_deleted_total{reason=\"publish_ignored\"} ").append(deletedAtPublish.sum()).append('\n')
        .append("tributary_cold_orphans_deleted_total{reason=\"sweep\"} ").append(deletedBySweep.sum()).append('\n');
    counter(sb, "tributary_cold_orphan_sweep_keys_total", keysListed.sum());
    sb.append("# TYPE tributary_cold_orphan_sweep_cycles_total counter\n");
    for (int g = 0; g < cursors.length; g++) {
      sb.append("tributary_cold_orphan_sweep_cycles_total{group=\"").append(g).append("\"} ").append(cycles.get(g)).append('\n');
    }
    counter(sb, "tributary_cold_orphan_sweep_errors_total", errors.sum());
    return sb.toString();
  }

  private static void counter(StringBuilder sb, String name, long v) {
    sb.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
