package io.tributary.group;

import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.RecordPatch;
import io.tributary.storage.SegmentGoneException;
import io.tributary.storage.SegmentStore;
import io.tributary.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repairs this replica's damaged segment records from a healthy peer. A read or the scrub that
 * finds a record failing its check {@linkplain #request reports} it; the repair of that record's
 * segment is queued once (later reports of the same segment join it), and while it is pending
 * reads of the damaged range answer 503 + Retry-After instead of 500.
 *
 * <pre>
 *  read / scrub ──request(g, damage)──▶ [pending: (group, segment) → Request] ──▶ repair thread
 *                                                                                    │
 *   1. scan the local segment: the damaged records and the range to rewrite ◀────────┤
 *   2. GET /internal/segment/{g}?from&to from the group's leader, then the others    │
 *      (the peer verifies its bytes before it sends them) into repair/ (a temp file) │
 *   3. SegmentStore.patch: verify every received record, check that each local      │
 *      record that passes its own check equals the peer's, rewrite the others in     │
 *      place, fsync, forget cached blocks; 4. scan again ◀───────────────────────────┘
 * </pre>
 *
 * Writing in place is sound because apply is deterministic: every replica holds the same bytes
 * at the same positions, apply never rewrites bytes below the published end (truncation re-writes
 * the same ones), and the patch only touches records below it (see {@link SegmentStore}).
 *
 * <p>An attempt that no peer can serve (all down, behind, or damaged there too) fails: the
 * request is retried after a backoff (1 s doubling to {@value #BACKOFF_MAX_SECONDS} s), and reads
 * answer 500 meanwhile, as on a single node. After {@value #ATTEMPTS_MAX} attempts it is abandoned
 * and logged as an error; reports of that segment are then answered 500 without a new attempt for
 * {@value #ABANDONED_HOLD_SECONDS} s (a read loop cannot turn into a download loop), after which a
 * report starts over. Results are counted in {@code tributary_repairs_total{group,result}}.
 *
 * <p>Threads: {@link #request} on any thread (read pool, scrub, snapshot export), under this
 * object's lock, which guards {@link #pending} and admission; the repair thread owns each
 * {@link Request}'s attempt count and due time and does every disk and network step. One repair
 * at a time per node: repairs are rare, and one thread keeps their disk and network use bounded.
 * Never interrupted while patching ({@link java.nio.channels.FileChannel} closes on interrupt, and
 * it is the segment's own): {@link #close} sets a flag polled between steps.
 */
final class SegmentRepair implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentRepair.class);
  /** Segments with a repair pending or abandoned recently, at most; more reports answer 500. */
  static final int PENDING_MAX = 256;
  static final int ATTEMPTS_MAX = 8;
  static final int BACKOFF_MAX_SECONDS = 60;
  static final int ABANDONED_HOLD_SECONDS = 600;
  private static final int COPY_BUFFER_BYTES = 64 * 1024;

  /** A peer's verified bytes of a group's segment range {@code [from, to)}: exactly {@code to - from} bytes. */
  interface PeerRanges {
    InputStream open(String peerId, int group, long from, long to) throws IOException;
  }

  /** The peers to ask for group {@code g}, in order (its leader first); never this node. */
  interface Peers {
    List<String> inOrder(int group);
  }

  /** What one attempt came to; the name is the metric's {@code result} label. */
  enum Result {
    /** the damaged records were rewritten from a peer and the segment checks intact */
    REPAIRED,
    /** the segment checked intact when the attempt began (repaired or replaced meanwhile) */
    INTACT,
    /** the segment was dropped after tiering: reads use the object store's copy */
    GONE,
    /** no peer could serve a good copy this time; retried after a backoff */
    FAILED,
    /** failed {@link #ATTEMPTS_MAX} times; given up */
    ABANDONED;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private record Key(int group, long segmentBase) {}

  /** One segment's repair. {@code failing}/{@code abandonedAtNanos} are read by reporters. */
  private final class Request implements Delayed {
    final Key key;
    /** A damaged position the report named (the scan starts from its segment). */
    final long position;
    volatile boolean failing;
    volatile long abandonedAtNanos = -1;
    int attempts;
    long dueNanos;

    Request(Key key, long position, long dueNanos) {
      this.key = key;
      this.position = position;
      this.dueNanos = dueNanos;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueNanos - nanoTime.getAsLong(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(dueNanos, ((Request) o).dueNanos);
    }
  }

  private final IntFunction<SegmentStore> stores;
  private final Peers peers;
  private final PeerRanges source;
  private final Path workDir;
  private final GroupMetrics metrics;
  private final LongSupplier nanoTime;
  private final Map<Key, Request> pending = new HashMap<>();
  private final DelayQueue<Request> due = new DelayQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param stores each group's current store (null while a group is not loaded)
   * @param workDir where downloads are staged (emptied at start: a partial download is worthless)
   */
  SegmentRepair(IntFunction<SegmentStore> stores, Peers peers, PeerRanges source, Path workDir, GroupMetrics metrics,
      LongSupplier nanoTime) {
    this.stores = stores;
    this.peers = peers;
    this.source = source;
    this.workDir = workDir;
    this.metrics = metrics;
    this.nanoTime = nanoTime;
    this.thread = new Thread(this::run, "tributary-segment-repair");
    thread.setDaemon(true);
  }

  void start() throws IOException {
    Files.createDirectories(workDir);
    try (var leftovers = Files.newDirectoryStream(workDir, "*.part")) {
      for (Path p : leftovers) {
        Files.delete(p);
      }
    }
    thread.start();
  }

  /**
   * Queues the repair of the segment holding the damaged record (once per segment) and returns
   * whether one is under way: true while it is pending and has not failed, false once an attempt
   * failed (no peer had a good copy yet), after it was abandoned, or when too many are pending.
   * Any thread; no I/O.
   */
  synchronized boolean request(int group, CorruptRecordException damage) {
    Key key = new Key(group, SegmentStore.baseOf(damage.segment()));
    Request r = pending.get(key);
    long now = nanoTime.getAsLong();
    if (r != null && r.abandonedAtNanos >= 0 && now - r.abandonedAtNanos >= TimeUnit.SECONDS.toNanos(ABANDONED_HOLD_SECONDS)) {
      pending.remove(key);
      r = null; // held long enough: try again
    }
    if (r != null) {
      return !r.failing;
    }
    if (pending.size() >= PENDING_MAX) {
      LOG.error("group {}: cannot queue the repair of segment {} ({} segments pending or abandoned)", group,
          damage.segment().getFileName(), pending.size());
      return false;
    }
    r = new Request(key, damage.position(), now);
    pending.put(key, r);
    due.add(r);
    LOG.warn("group {}: repair of segment {} from a peer queued (damaged record at position {})", group,
        damage.segment().getFileName(), damage.position());
    return true;
  }

  private void run() {
    while (!closed) {
      Request r;
      try {
        r = due.poll(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (r != null) {
        settle(r, attempt(r));
      }
    }
  }

  /** Records an attempt's result: done, retried after a backoff, or abandoned. Repair thread. */
  private void settle(Request r, Result result) {
    int g = r.key.group();
    if (result != Result.FAILED) {
      synchronized (this) {
        pending.remove(r.key);
      }
      metrics.repair(g, result.label());
      return;
    }
    metrics.repair(g, result.label());
    r.attempts++;
    if (r.attempts >= ATTEMPTS_MAX) {
      LOG.error("group {}: repair of segment {} abandoned after {} attempts: no peer served a good copy; reads of "
          + "its damaged records answer 500 (see docs/operations.md, \"Corruption\")", g,
          SegmentStore.fileName(r.key.segmentBase()), r.attempts);
      metrics.repair(g, Result.ABANDONED.label());
      r.abandonedAtNanos = nanoTime.getAsLong();
      r.failing = true;
      return;
    }
    r.failing = true;
    r.dueNanos = nanoTime.getAsLong() + TimeUnit.SECONDS.toNanos(Math.min(BACKOFF_MAX_SECONDS, 1L << (r.attempts - 1)));
    due.add(r);
  }

  /** One attempt at the request's segment. Repair thread. */
  private Result attempt(Request r) {
    int g = r.key.group();
    SegmentStore store = stores.apply(g);
    if (store == null) {
      LOG.warn("group {}: not loaded; repair of segment {} waits", g, SegmentStore.fileName(r.key.segmentBase()));
      return Result.FAILED;
    }
    RecordPatch.Damage damage;
    try {
      damage = store.damageAround(r.position);
    } catch (SegmentGoneException e) {
      LOG.info("group {}: segment {} was dropped after tiering; nothing to repair", g,
          SegmentStore.fileName(r.key.segmentBase()));
      return Result.GONE;
    } catch (StorageException e) {
      LOG.warn("group {}: cannot scan segment {} for repair", g, SegmentStore.fileName(r.key.segmentBase()), e);
      return Result.FAILED;
    }
    if (damage.intact()) {
      return Result.INTACT;
    }
    for (String peer : peers.inOrder(g)) {
      if (closed) {
        return Result.FAILED;
      }
      Result fromPeer = fetchAndPatch(store, g, damage, peer);
      if (fromPeer != Result.FAILED) {
        return fromPeer;
      }
    }
    LOG.error("group {}: no peer served a good copy of [{}, {}) of segment {} ({} damaged records; attempt {} of {})",
        g, damage.from(), damage.to(), SegmentStore.fileName(damage.segmentBase()), damage.records().size(),
        r.attempts + 1, ATTEMPTS_MAX);
    return Result.FAILED;
  }

  private Result fetchAndPatch(SegmentStore store, int g, RecordPatch.Damage damage, String peer) {
    Path part = workDir.resolve("g" + g + "-" + damage.from() + ".part");
    try {
      download(peer, g, damage.from(), damage.to(), part);
      int rewritten = store.patch(part, damage.from(), damage.to());
      RecordPatch.Damage left = store.damageAround(damage.from());
      if (!left.intact()) {
        LOG.error("group {}: segment {} still holds {} damaged records after the repair from {} (new damage?)", g,
            SegmentStore.fileName(damage.segmentBase()), left.records().size(), peer);
        return Result.FAILED;
      }
      LOG.info("group {}: repaired segment {} from {}: {} damaged records in [{}, {}) rewritten", g,
          SegmentStore.fileName(damage.segmentBase()), peer, rewritten, damage.from(), damage.to());
      return Result.REPAIRED;
    } catch (SegmentGoneException e) {
      return Result.GONE;
    } catch (CorruptRecordException e) {
      LOG.warn("group {}: {}'s copy of [{}, {}) failed verification here, not installed: {}", g, peer, damage.from(),
          damage.to(), e.getMessage());
    } catch (IOException | StorageException | IllegalArgumentException e) {
      LOG.warn("group {}: repair of [{}, {}) from {} failed: {}", g, damage.from(), damage.to(), peer, e.toString());
    } finally {
      try {
        Files.deleteIfExists(part);
      } catch (IOException e) {
        LOG.warn("cannot delete {}", part, e);
      }
    }
    return Result.FAILED;
  }

  /** The peer's bytes of {@code [from, to)} into {@code part}: exactly that many, or an IOException. */
  private void download(String peer, int g, long from, long to, Path part) throws IOException {
    long want = to - from;
    long got = 0;
    byte[] buf = new byte[COPY_BUFFER_BYTES];
    try (InputStream in = source.open(peer, g, from, to); OutputStream out = Files.newOutputStream(part)) {
      for (int n; got < want && (n = in.read(buf, 0, (int) Math.min(buf.length, want - got))) > 0; ) {
        out.write(buf, 0, n);
        got += n;
      }
    }
    if (got != want) {
      throw new IOException(peer + " sent " + got + " of the " + want + " bytes of [" + from + ", " + to + ")");
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
