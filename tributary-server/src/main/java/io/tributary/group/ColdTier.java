package io.tributary.group;

import io.tributary.cold.BlockCache;
import io.tributary.cold.ChunkFormat;
import io.tributary.cold.ObjectStore;
import io.tributary.cold.ObjectStoreException;
import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.config.TieringConfig;
import io.tributary.state.Command;
import io.tributary.state.GroupState;
import io.tributary.state.Outcome;
import io.tributary.state.StreamView;
import io.tributary.storage.StreamIndex;
import io.tributary.storage.StreamReader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves sealed stream data to the object store and keeps each replica's disk within its hot
 * budget. One per node; every {@code tier-interval-ms} it visits every group:
 *
 * <pre>
 *   every group (any role):  gauges (hot, cold, untiered bytes, records indexed in memory)
 *                            drop the oldest segments whose records are all cold or garbage,
 *                            while the group's disk exceeds hot-bytes-max / groups
 *                            segments dropped a pass ago and the group applied nothing since:
 *                              commit a Nop, so every replica forgets their records' index entries
 *   groups led here:         for each stream with untiered bytes [coldEnd, tail) that are
 *                            ≥ tier-bytes-min, or have not grown for tier-age-ms:
 *                              upload [coldEnd, end ≤ coldEnd + tier-chunk-bytes-max) as one TRC1
 *                              chunk (end at a record boundary), then commit ColdChunksPublished
 *                            delete queued garbage objects, then commit ColdGarbageCollected
 * </pre>
 *
 * Uploads never block appends: they read records already applied (immutable below the tail) and
 * run on a pool of {@code tier-uploads-max} workers, one upload per stream at a time. A failing
 * object store backs all uploads and deletions off exponentially (100 ms .. 5 s); meanwhile the
 * untiered bytes grow, and past {@code untiered-bytes-max} {@link #admit} refuses appends (503).
 * A publish the state machine ignores (stream gone, a different range won) leaves an orphan,
 * which is deleted at once unless that exact range is recorded. Every other orphan (the node died
 * or lost leadership between upload and publish, the publish timed out or came too late, a
 * deletion was lost) is left to the {@link OrphanSweep} this tier runs: each publish carries a
 * deadline (upload start + half of {@code orphan-grace-ms}), and each upload holds an
 * {@link UploadClaims} claim on its stream, so the sweep never deletes what is being published.
 *
 * <p>Threads: {@code tributary-tier} (one) runs {@link #tick} and owns the leader-local
 * bookkeeping ({@link #seen}); {@code tributary-tier-io-N} workers do object-store I/O and
 * submit commands; {@code tributary-orphan-sweep} runs the {@link OrphanSweep}; the stream sets,
 * claims and counters they share are concurrent. Publishing goes through the group's
 * {@link AppendBatcher}, so it is replicated like any write.
 */
public final class ColdTier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ColdTier.class);
  private static final StreamKey NO_STREAM = new StreamKey("", "");

  private final EngineHost host;
  private final ObjectStore store;
  private final BlockCache cache;
  private final TieringConfig config;
  private final Clock clock;
  private final long publishTimeoutMillis;
  private final int groups;
  private final ScheduledExecutorService ticker;
  private final ThreadPoolExecutor workers;
  /** Per group: stream ids with an upload in flight (one per stream at a time). */
  private final List<Set<Long>> uploading;
  /** Uploads of this node (these and snapshot blobs) versus the orphan sweep. */
  private final UploadClaims claims;
  private final StoreBackoff backoff = new StoreBackoff();
  private final OrphanSweep sweep;
  private volatile CrashPoint crashPoint = (g, key) -> false;
  private final AtomicBoolean[] collecting;
  /** Per group: a {@link Command.Nop} is in flight. */
  private final AtomicBoolean[] nudging;
  /** Per group, tier thread only: passes that found the index upkeep pending after segments were dropped. */
  private final int[] trimPendingPasses;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean expediteQueued = new AtomicBoolean();
  /** Per group, tier thread only: stream id → (tail seen, since when), for the age threshold. */
  private final List<Map<Long, long[]>> seen;
  /** Per group, tier thread only: when a snapshot was last requested to let segments go. */
  private final long[] lastSnapshotRequestNanos;
  private static final long SNAPSHOT_REQUEST_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final AtomicLongArray hotBytes;
  private final AtomicLongArray coldBytes;
  private final AtomicLongArray untieredBytes;
  /** Per group: record index entries held in memory (16 bytes each), at the last pass. */
  private final AtomicLongArray indexRecords;
  private volatile long untieredTotal;
  private final LongAdder uploads = new LongAdder();
  private final LongAdder uploadedBytes = new LongAdder();
  private final LongAdder uploadErrors = new LongAdder();
  private final LongAdder garbageDeleted = new LongAdder();
  private final LongAdder droppedBytes = new LongAdder();

  /**
   * Test hook (fault injection only): asked after each chunk's upload, before its publish; true
   * makes the worker stop there as if the node had died (no publish, no deletion).
   */
  @FunctionalInterface
  public interface CrashPoint {
    boolean crashAfterUpload(int group, String key);
  }

  public ColdTier(EngineHost host, ObjectStore store, BlockCache cache, TieringConfig config, long publishTimeoutMillis,
      Clock clock, UploadClaims claims) {
    this.host = host;
    this.store = store;
    this.cache = cache;
    this.config = config;
    this.clock = clock;
    this.claims = claims;
    this.publishTimeoutMillis = publishTimeoutMillis;
    this.sweep = new OrphanSweep(host, store, cache, config, clock, claims, backoff);
    this.groups = host.groupCount();
    this.uploading = new java.util.ArrayList<>();
    this.seen = new java.util.ArrayList<>();
    this.collecting = new AtomicBoolean[groups];
    this.nudging = new AtomicBoolean[groups];
    this.trimPendingPasses = new int[groups];
    this.lastSnapshotRequestNanos = new long[groups];
    for (int g = 0; g < groups; g++) {
      uploading.add(ConcurrentHashMap.newKeySet());
      seen.add(new HashMap<>());
      collecting[g] = new AtomicBoolean();
      nudging[g] = new AtomicBoolean();
    }
    this.hotBytes = new AtomicLongArray(groups);
    this.coldBytes = new AtomicLongArray(groups);
    this.untieredBytes = new AtomicLongArray(groups);
    this.indexRecords = new AtomicLongArray(groups);
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tributary-tier");
      t.setDaemon(true);
      return t;
    });
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(config.tierUploadsMax(), config.tierUploadsMax(), 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "tributary-tier-io-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  public void start() {
    ticker.scheduleWithFixedDelay(this::tick, config.tierIntervalMillis(), config.tierIntervalMillis(), TimeUnit.MILLISECONDS);
    sweep.start();
  }

  /** Installs a {@link CrashPoint} (tests only). */
  public void injectCrashAfterUpload(CrashPoint p) {
    crashPoint = p;
  }

  /**
   * Runs a pass as soon as the tier thread is free (a reader waits for untiered bytes:
   * cold-reads-wait-ms). Any thread; at most one such pass is queued at a time.
   */
  public void expedite() {
    if (expediteQueued.compareAndSet(false, true)) {
      try {
        ticker.execute(() -> {
          expediteQueued.set(false);
          tick();
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        expediteQueued.set(false); // closing: the reader's wait ends at its deadline
      }
    }
  }

  /** Null when appends may proceed; else why not (the object store is behind by more than the bound). Any thread. */
  public UnavailableException admit() {
    long waiting = untieredTotal;
    if (waiting <= config.untieredBytesMax()) {
      return null;
    }
    return new UnavailableException("the hot tier is full: " + waiting + " bytes wait for upload to the object store (bound "
        + config.untieredBytesMax() + "); retry later", 2);
  }

  private void tick() {
    long total = 0;
    for (int g = 0; g < groups; g++) {
      try {
        total += tickGroup(g);
      } catch (RuntimeException e) {
        LOG.warn("group {}: tiering pass failed: {}", g, e.toString());
      }
    }
    untieredTotal = total;
  }

  /** One pass over group {@code g}; returns its untiered bytes. Tier thread. */
  private long tickGroup(int g) {
    GroupState state = host.replica(g).state();
    if (state == null) {
      return 0;
    }
    boolean leader = host.leads(g);
    boolean mayCallStore = backoff.mayCall();
    long[] sums = new long[3]; // cold, untiered, indexed records
    Map<Long, long[]> ages = leader ? seen.get(g) : null;
    long nowNanos = System.nanoTime();
    Set<Long> visited = leader ? new java.util.HashSet<>() : null;
    state.forEachView(v -> {
      long coldEnd = Math.max(v.cold().end(), v.ownStart());
      sums[0] += v.cold().bytes();
      sums[1] += v.tail() - coldEnd;
      sums[2] += v.index().count();
      if (leader && v.tail() > coldEnd) {
        visited.add(v.streamId());
        if (mayCallStore && ripe(ages, v, coldEnd, nowNanos) && inFlight.get() < config.tierUploadsMax()
            && claimUpload(g, v.streamId())) {
          long end = chunkEnd(v, coldEnd);
          inFlight.incrementAndGet();
          workers.execute(() -> upload(g, state, v, coldEnd, end));
        }
      }
    });
    if (leader) {
      ages.keySet().retainAll(visited);
      if (mayCallStore && state.garbageCount() > 0 && collecting[g].compareAndSet(false, true)) {
        List<String> keys = state.garbageHead();
        workers.execute(() -> collect(g, keys));
      }
    } else {
      seen.get(g).clear();
    }
    coldBytes.set(g, sums[0]);
    untieredBytes.set(g, sums[1]);
    indexRecords.set(g, sums[2]);
    long budget = config.hotBytesMax() / groups;
    if (state.store().diskBytes() > budget) {
      long watermark = state.hotLowWatermark();
      long dropped = state.store().dropBelow(watermark, budget);
      long oldestEnd = state.store().oldestSegmentEnd();
      if (dropped == 0 && oldestEnd > 0 && oldestEnd <= watermark && oldestEnd > state.store().snapshotEnd()
          && nowNanos - lastSnapshotRequestNanos[g] >= SNAPSHOT_REQUEST_GAP_NANOS) {
        // every record of the oldest segment is cold, but no snapshot covers it yet (restart
        // re-applies the log after the snapshot and needs the segments it wrote): take one
        lastSnapshotRequestNanos[g] = nowNanos;
        try {
          host.requestSnapshot(g);
        } catch (java.io.IOException e) {
          LOG.info("group {}: {}", g, e.getMessage());
        }
        dropped = state.store().dropBelow(watermark, budget);
      }
      droppedBytes.add(dropped);
      if (dropped > 0) {
        LOG.debug("group {}: dropped {} bytes of tiered segments", g, dropped);
      }
    }
    hotBytes.set(g, state.store().diskBytes());
    nudgeIndexUpkeep(g, state);
    return sums[1];
  }

  /** One upload per stream, and none while the sweep deletes the stream's orphans. Tier thread. */
  private boolean claimUpload(int g, long streamId) {
    if (!uploading.get(g).add(streamId)) {
      return false;
    }
    if (!claims.claimUpload(g, streamId)) {
      uploading.get(g).remove(streamId);
      return false;
    }
    return true;
  }

  /**
   * Replicas forget the index entries of records in deleted segments after their next applied
   * entry ({@link GroupState#trimIndexes}). When segments were dropped and a whole pass later the
   * group still applied nothing (typically: the last upload was published, then its segments went),
   * commit a {@link Command.Nop} so the memory goes now rather than at the next write. At most one
   * in flight per group; a failure is retried at a later pass. Tier thread.
   */
  private void nudgeIndexUpkeep(int g, GroupState state) {
    if (!state.indexTrimPending()) {
      trimPendingPasses[g] = 0;
      return;
    }
    if (++trimPendingPasses[g] < 2 || !nudging[g].compareAndSet(false, true)) {
      return;
    }
    trimPendingPasses[g] = 0;
    host.submit(g, new Command.Nop(NO_STREAM), 64).whenComplete((o, e) -> {
      nudging[g].set(false);
      if (e != null) {
        LOG.debug("group {}: index upkeep entry failed: {}", g, e.toString());
      }
    });
  }

  /** Untiered bytes of {@code v} are worth a chunk: enough of them, or they stopped growing long enough ago. */
  private boolean ripe(Map<Long, long[]> ages, StreamView v, long coldEnd, long nowNanos) {
    if (v.tail() - coldEnd >= config.tierBytesMin()) {
      return true;
    }
    long[] a = ages.get(v.streamId());
    if (a == null || a[0] != v.tail()) {
      ages.put(v.streamId(), new long[] {v.tail(), nowNanos});
      return config.tierAgeMillis() == 0;
    }
    return nowNanos - a[1] >= TimeUnit.MILLISECONDS.toNanos(config.tierAgeMillis());
  }

  /** End of the next chunk from {@code start}: the last record boundary within the chunk bound (at least one record). */
  private long chunkEnd(StreamView v, long start) {
    long target = start + config.tierChunkBytesMax();
    if (target >= v.tail()) {
      return v.tail();
    }
    StreamIndex.View idx = v.index();
    int i = idx.locate(target);
    if (i >= 0 && idx.offsets()[i] > start) {
      return idx.offsets()[i];
    }
    int next = idx.locate(start) + 1; // one record larger than the bound
    return next < idx.count() ? idx.offsets()[next] : v.tail();
  }

  /**
   * Where records start in {@code [start, end)}, relative to {@code start}: the chunk's record-start
   * table. The index still holds them (it only forgets records below the cold end, and this range
   * starts there).
   */
  private static int[] recordStarts(StreamIndex.View idx, long start, long end) {
    int first = idx.locate(start);
    if (first < 0) {
      throw new IllegalStateException("record index starts at " + idx.start() + ", after the range to tier [" + start + ", "
          + end + ")");
    }
    if (idx.offsets()[first] < start) {
      first++; // (a chunk starts at a record start; never list one before the range)
    }
    int last = idx.locate(end - 1);
    int[] out = new int[Math.max(0, last - first + 1)];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.toIntExact(idx.offsets()[first + i] - start);
    }
    return out;
  }

  /** Worker: builds and uploads the chunk {@code [start, end)} of {@code v}, then publishes it. */
  private void upload(int g, GroupState state, StreamView v, long start, long end) {
    String key = ChunkFormat.key(g, v.streamId(), start, end);
    try {
      byte[] payload = StreamReader.read(state.store(), v.streamId(), v.index(), v.tail(), start, end, false);
      byte[] chunk = ChunkFormat.encode(g, v.streamId(), start, end, recordStarts(v.index(), start, end), v.json(), payload);
      long publishByMillis = clock.nowMillis() + config.publishWindowMillis();
      store.put(key, chunk);
      if (crashPoint.crashAfterUpload(g, key)) {
        LOG.info("group {}: injected crash after uploading {}", g, key);
        return;
      }
      Outcome o = host
          .submit(g, new Command.ColdChunksPublished(v.key(), v.streamId(), start, end, publishByMillis, true), 128)
          .get(publishTimeoutMillis, TimeUnit.MILLISECONDS);
      if (o.code() == Outcome.Code.COLD_PUBLISHED) {
        uploads.increment();
        uploadedBytes.add(end - start);
        backoff.succeeded();
      } else if (o.code() == Outcome.Code.UPLOAD_EXPIRED) {
        // not deleted here: a deposed leader's late publish must not delete the key its successor
        // may be uploading again right now; the sweep deletes it once it is old and unreferenced
        uploadErrors.increment();
        LOG.warn("group {}: chunk {} published too late ({}); left to the orphan sweep", g, key, o.message());
      } else {
        store.delete(key); // never published: nobody will read it
        sweep.deletedAtPublish();
        LOG.debug("group {}: chunk {} not published ({}); deleted", g, key, o.message());
      }
    } catch (ObjectStoreException e) {
      failed(g, "upload of " + key, e);
    } catch (ExecutionException | TimeoutException e) {
      // publish outcome unknown: if it committed the object is live; if not, the next pass
      // uploads the range again (same key when the tail has not moved)
      uploadErrors.increment();
      LOG.warn("group {}: publishing {} failed: {}", g, key, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      uploadErrors.increment();
      LOG.warn("group {}: tiering {} failed", g, key, e);
    } finally {
      claims.releaseUpload(g, v.streamId());
      uploading.get(g).remove(v.streamId());
      inFlight.decrementAndGet();
    }
  }

  /** Worker: deletes garbage objects (idempotent), then removes them from the replicated queue. */
  private void collect(int g, List<String> keys) {
    try {
      for (String k : keys) {
        store.delete(k);
        cache.invalidate(k);
      }
      host.submit(g, new Command.ColdGarbageCollected(NO_STREAM, keys), 64 + 64 * keys.size())
          .get(publishTimeoutMillis, TimeUnit.MILLISECONDS);
      garbageDeleted.add(keys.size());
    } catch (ObjectStoreException e) {
      failed(g, "deleting garbage", e);
    } catch (ExecutionException | TimeoutException e) {
      LOG.info("group {}: acknowledging {} deleted objects failed: {}", g, keys.size(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("group {}: garbage collection failed", g, e);
    } finally {
      collecting[g].set(false);
    }
  }

  private void failed(int g, String what, ObjectStoreException e) {
    uploadErrors.increment();
    int n = backoff.failed();
    if (n == 1 || n % 20 == 0) {
      LOG.warn("group {}: {} failed ({} in a row, backing off {} ms): {}", g, what, n, StoreBackoff.backoffMillis(n),
          e.getMessage());
    }
  }

  /** Bytes waiting for upload, summed over groups at the last pass. */
  public long untieredBytes() {
    return untieredTotal;
  }

  /** Prometheus text of the tier's gauges and counters. Any thread. */
  public String metrics() {
    StringBuilder sb = new StringBuilder(1024);
    sb.append("# TYPE tributary_group_hot_bytes gauge\n# TYPE tributary_group_cold_bytes gauge\n")
        .append("# TYPE tributary_group_untiered_bytes gauge\n# TYPE tributary_group_index_records gauge\n");
    for (int g = 0; g < groups; g++) {
      String l = "{group=\"" + g + "\"}";
      sb.append("tributary_group_hot_bytes").append(l).append(' ').append(hotBytes.get(g)).append('\n');
      sb.append("tributary_group_cold_bytes").append(l).append(' ').append(coldBytes.get(g)).append('\n');
      sb.append("tributary_group_untiered_bytes").append(l).append(' ').append(untieredBytes.get(g)).append('\n');
      sb.append("tributary_group_index_records").append(l).append(' ').append(indexRecords.get(g)).append('\n');
    }
    BlockCache.Stats s = cache.stats();
    long asked = s.hits() + s.misses();
    counter(sb, "tributary_cold_uploads_total", uploads.sum());
    counter(sb, "tributary_cold_uploaded_bytes_total", uploadedBytes.sum());
    counter(sb, "tributary_cold_upload_errors_total", uploadErrors.sum());
    counter(sb, "tributary_cold_garbage_deleted_total", garbageDeleted.sum());
    counter(sb, "tributary_cold_dropped_bytes_total", droppedBytes.sum());
    sb.append("# TYPE tributary_cold_upload_lag_bytes gauge\ntributary_cold_upload_lag_bytes ").append(untieredTotal).append('\n');
    counter(sb, "tributary_cold_cache_hits_total", s.hits());
    counter(sb, "tributary_cold_cache_misses_total", s.misses());
    sb.append("# TYPE tributary_cold_cache_hit_ratio gauge\ntributary_cold_cache_hit_ratio ")
        .append(asked == 0 ? 0.0 : (double) s.hits() / asked).append('\n');
    sb.append("# TYPE tributary_cold_cache_bytes gauge\ntributary_cold_cache_bytes ").append(s.cachedBytes()).append('\n');
    sb.append(sweep.metrics());
    return sb.toString();
  }

  private static void counter(StringBuilder sb, String name, long v) {
    sb.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
  }

  @Override
  public void close() {
    sweep.close();
    ticker.shutdownNow();
    workers.shutdownNow();
  }
}
