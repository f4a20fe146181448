package io.tributary.service;

import io.tributary.cold.ObjectNotFoundException;
import io.tributary.cold.ObjectStore;
import io.tributary.cold.ObjectStoreUnavailableException;
import io.tributary.common.Clock;
import io.tributary.common.UnavailableException;
import io.tributary.common.StreamKey;
import io.tributary.group.Replication;
import io.tributary.state.AppSnapshot;
import io.tributary.state.ColdIndex;
import io.tributary.state.GroupState;
import io.tributary.state.StreamView;
import io.tributary.state.WatchRegistry;
import io.tributary.storage.StorageException;
import io.tributary.storage.StreamIndex;
import io.tributary.storage.StreamReader;
import java.util.concurrent.CompletableFuture;

/**
 * Reads from the local replica: lookups (with lazy expiry), catch-up reads and watches. Data in
 * the tail cache is copied on the caller's thread; anything that needs the disk goes to the
 * {@link ReadPool}. Fork reads stitch the source's bytes below the fork point to the fork's own.
 * Thread-safe; no mutable state of its own.
 */
public final class StreamReads {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StreamReads.class);
  private final Replication host;
  private final Clock clock;
  private final ReadPool pool;
  private final TtlTracker ttl;
  private final ColdReads cold;
  /** Where blobs above snapshot-inline-bytes-max live; null when no store every replica can read. */
  private final ObjectStore blobStore;

  StreamReads(Replication host, Clock clock, ReadPool pool, TtlTracker ttl, ColdReads cold, ObjectStore blobStore) {
    this.blobStore = blobStore;
    this.host = host;
    this.clock = clock;
    this.pool = pool;
    this.ttl = ttl;
    this.cold = cold;
  }

  /** Result of resolving a key: found (with its view), missing, or gone (deleted/expired but pinned). */
  public record Lookup(ReadResult.Status status, StreamInfo info, StreamView view, CompletableFuture<Void> renewal) {
    private static final CompletableFuture<Void> NONE = CompletableFuture.completedFuture(null);

    Lookup(ReadResult.Status status, StreamInfo info, StreamView view) {
      this(status, info, view, NONE);
    }
  }

  /** Resolves a key without renewing its TTL (HEAD). */
  public Lookup lookup(StreamKey key) {
    StreamView v = host.replica(key).view(key);
    if (v == null) {
      return new Lookup(ReadResult.Status.NOT_FOUND, null, null);
    }
    boolean expired = v.expiredAt(clock.nowMillis(), ttl.lastReadMillis(v.streamId()));
    if (v.softDeleted() || (expired && v.pinCount() > 0)) {
      return new Lookup(ReadResult.Status.GONE, null, v);
    }
    if (expired) {
      return new Lookup(ReadResult.Status.NOT_FOUND, null, null);
    }
    return new Lookup(ReadResult.Status.OK, info(v), v);
  }

  /**
   * Resolves a key for a read, renewing a sliding TTL. The returned {@link Lookup#renewal} completes
   * when the renewal counts on every replica, so a read answered after it cannot be followed by an
   * expiry on another node that missed it: at once when the replicated expiry is more than half a
   * TTL away (a lost renewal then changes nothing soon), else when this read's touch has applied
   * (one commit, coalesced with concurrent readers). A failed touch does not fail the read.
   */
  public Lookup lookupForRead(StreamKey key) {
    Lookup l = lookup(key);
    if (l.status() == ReadResult.Status.OK && l.view().ttlSeconds() >= 0) {
      CompletableFuture<Void> touch = ttl.read(key, l.view().streamId());
      long ttlMillis = l.view().ttlSeconds() * 1000;
      long replicatedExpiry = l.view().lastAccessMillis() + ttlMillis;
      if (replicatedExpiry - clock.nowMillis() < ttlMillis / 2) {
        return new Lookup(l.status(), l.info(), l.view(), touch.exceptionally(t -> null));
      }
    }
    return l;
  }

  static StreamInfo info(StreamView v) {
    return new StreamInfo(v.key(), v.streamId(), v.contentType(), v.json(), v.tail(), v.closed(), v.ttlSeconds(),
        v.expiresAt(), v.retainedFrom(), SnapshotInfo.of(v.snapshot()), v.attrs());
  }

  /**
   * Catch-up read of up to {@code maxBytes} from {@code offset} (-1 = start). Completes on the
   * caller's thread when the bytes are cached, else on a read-pool thread.
   */
  public CompletableFuture<ReadResult> read(StreamKey key, long offset, long maxBytes) {
    Lookup l = lookupForRead(key);
    if (l.status() != ReadResult.Status.OK) {
      return CompletableFuture.completedFuture(ReadResult.of(l.status(), l.status() == ReadResult.Status.GONE
          ? "stream was deleted" : "stream not found"));
    }
    return read(l.view(), offset, maxBytes);
  }

  /**
   * Catch-up read against a view already resolved. Whole messages only: an offset strictly inside
   * a message reads from that message's start (as the reference servers do, whose offsets name a
   * message's end and whose reads return every message ending after the offset; the Yjs server of
   * y-durable-streams reads from its snapshot offset plus one and decodes what it gets as whole
   * frames), and a read that stops short of the tail stops at a message boundary. The result's
   * {@code from} is where the returned bytes start, {@code next} where they end.
   */
  public CompletableFuture<ReadResult> read(StreamView v, long offset, long maxBytes) {
    long asked = addressedStart(offset, v.tail());
    if (asked > v.tail()) {
      return CompletableFuture.completedFuture(ReadResult.of(ReadResult.Status.BAD_OFFSET,
          "offset is beyond the stream's tail"));
    }
    long start = messageStart(v, asked, true);
    if (start >= 0) {
      long end = binaryChunkEnd(v, start, windowEnd(v, start, maxBytes), true);
      byte[] cached = end < 0 ? null : range(v, start, end, true);
      if (cached != null && !splitsOneMessage(v, end, cached)) {
        return CompletableFuture.completedFuture(finish(v, start, end, cached));
      }
    }
    // (a message larger than the chunk is widened on the read pool: that may need the disk)
    return pool.submit(() -> {
      long s = messageStart(v, asked, false);
      long e = binaryChunkEnd(v, s, windowEnd(v, s, maxBytes), false);
      return finish(v, s, e, range(v, s, e, false));
    });
  }

  /**
   * Where a read from {@code offset} (-1 = start) begins before it is aligned to a message, with
   * the one offset past the tail that addresses something: every message is at least one byte
   * long, so {@code tail + 1} lies inside the next message, whichever it is, and that message will
   * start at the tail. The Yjs server asks for it when its snapshot covers the whole stream (it
   * reads from the snapshot offset plus one). Further past the tail the answer depends on messages
   * not yet appended: those offsets stay out of range (400), which is what catches an offset kept
   * from another stream or incarnation.
   */
  public static long addressedStart(long offset, long tail) {
    if (offset < 0) {
      return 0;
    }
    return offset == tail + 1 ? tail : offset;
  }

  /** Where a read of at most {@code maxBytes} from {@code start} ends before it is aligned. */
  private static long windowEnd(StreamView v, long start, long maxBytes) {
    return maxBytes >= v.tail() - start ? v.tail() : start + Math.max(1, maxBytes);
  }

  /** True when a JSON read of {@code [start, end)} ends inside its first message. */
  private static boolean splitsOneMessage(StreamView v, long end, byte[] data) {
    return v.json() && end < v.tail() && JsonMessages.wholeMessagesLength(data, data.length) == 0;
  }

  /**
   * The start of the message holding {@code off} ({@code off} itself on a boundary, see
   * {@link #isBoundary}); -1 if {@code cachedOnly} and finding it needs the disk or the object store.
   */
  private long messageStart(StreamView v, long off, boolean cachedOnly) {
    if (off == 0 || off == v.tail() || off == v.retainedFrom()) {
      return off;
    }
    return v.json() ? jsonMessageStart(v, off, cachedOnly) : recordStart(v, off, cachedOnly);
  }

  /**
   * JSON: just after the last '\n' below {@code off}, scanned backwards in doubling windows (a
   * message is bounded by the body limit it was appended under) down to the nearest offset known
   * to be a boundary: 0, the retention floor or the fork point of a stream of the chain.
   */
  private long jsonMessageStart(StreamView v, long off, boolean cachedOnly) {
    long floor = v.retainedFrom() <= off ? v.retainedFrom() : 0;
    for (StreamView cur = v; cur != null; cur = source(cur)) {
      if (cur.ownStart() <= off) {
        floor = Math.max(floor, cur.ownStart());
      }
    }
    // the byte before it first: an offset the server handed out is a boundary, and this is one byte
    for (long hi = off, window = 1; ; window = window == 1 ? 4096 : window * 2) {
      long lo = Math.max(floor, hi - window);
      byte[] b = range(v, lo, hi, cachedOnly);
      if (b == null) {
        return -1;
      }
      for (int i = b.length - 1; i >= 0; i--) {
        if (b[i] == '\n') {
          return lo + i + 1;
        }
      }
      if (lo == floor) {
        return floor;
      }
      hi = lo;
    }
  }

  /**
   * Binary: the start of the record holding {@code off}, in the stream of the fork chain that owns
   * it (its index, or the chunks' record-start tables for records the index forgot). Records are
   * at most {@link io.tributary.storage.SegmentStore#RECORD_PAYLOAD_MAX} bytes, so the start of
   * the one holding {@code off} lies at most that far below it.
   */
  private long recordStart(StreamView v, long off, boolean cachedOnly) {
    StreamView cur = v;
    while (off < cur.ownStart()) {
      cur = sourceOf(cur);
    }
    if (off == cur.ownStart()) {
      return off;
    }
    StreamIndex.View idx = cur.index();
    if (off >= idx.start()) {
      return idx.offsets()[idx.locate(off)];
    }
    if (cachedOnly) {
      return -1;
    }
    long lo = Math.max(cur.ownStart(), off - io.tributary.storage.SegmentStore.RECORD_PAYLOAD_MAX);
    java.util.List<Long> starts = cold.recordStarts(cur, cur.cold(), lo, off + 1);
    if (!starts.isEmpty()) {
      return starts.getLast();
    }
    if (lo == cur.ownStart()) {
      return lo;
    }
    throw new IllegalStateException("stream " + cur.key() + " (id " + cur.streamId() + "): no record starts in ["
        + lo + ", " + off + "], yet records are at most " + io.tributary.storage.SegmentStore.RECORD_PAYLOAD_MAX
        + " bytes");
  }

  /**
   * Binary: where a read of {@code [start, end)} ends so that it holds whole records: the start of
   * the record holding {@code end}, or, when that is {@code start} (one record larger than the
   * window), that record's end. JSON reads are cut after reading ({@link #finish}); -1 if
   * {@code cachedOnly} and the record starts need the disk or the object store.
   */
  private long binaryChunkEnd(StreamView v, long start, long end, boolean cachedOnly) {
    if (v.json() || end >= v.tail()) {
      return end;
    }
    long cut = messageStart(v, end, cachedOnly);
    if (cut < 0 || cut > start) {
      return cut;
    }
    if (cachedOnly) {
      return -1;
    }
    long limit = Math.min(v.tail(), start + io.tributary.storage.SegmentStore.RECORD_PAYLOAD_MAX + 1);
    java.util.List<Long> after = recordStarts(v, start, limit);
    return after.isEmpty() ? limit : after.getFirst();
  }

  /** The result of a read of {@code [start, end)}; JSON reads end at a message boundary. Read pool, or any thread when {@code data} holds whole messages. */
  private ReadResult finish(StreamView v, long start, long end, byte[] data) {
    // One message larger than the chunk limit: widen the read, doubling, until it holds the whole
    // message. A message is bounded by the body limit it was appended under, so this stays near
    // that size instead of reading to the tail, which may be gigabytes away.
    for (long window = end - start; splitsOneMessage(v, end, data); ) {
      window = Math.min(window * 2, v.tail() - start);
      end = start + window;
      data = range(v, start, end, false);
    }
    if (v.json() && end < v.tail()) {
      int whole = JsonMessages.wholeMessagesLength(data, data.length);
      if (whole < data.length) {
        data = java.util.Arrays.copyOf(data, whole);
      }
    }
    long next = start + data.length;
    return new ReadResult(ReadResult.Status.OK, info(v), data, start, next, next == v.tail(), null);
  }

  /**
   * Bytes {@code [from, to)} of a stream, following fork links; null if cachedOnly and not all
   * cached. Walks the chain in a loop (chains made before fork-depth-max existed may be thousands
   * deep): each stream contributes its own bytes of the range, the rest comes from its source.
   */
  private byte[] range(StreamView v, long from, long to, boolean cachedOnly) {
    if (from >= to) {
      return new byte[0];
    }
    java.util.ArrayDeque<byte[]> parts = new java.util.ArrayDeque<>(); // lowest offsets first
    int length = 0;
    long end = to;
    for (StreamView cur = v; ; cur = sourceOf(cur)) {
      long own = cur.ownStart();
      if (end > own) {
        byte[] part = ownRange(cur, Math.max(from, own), end, cachedOnly);
        if (part == null) {
          return null;
        }
        parts.addFirst(part);
        length += part.length;
        end = own;
      }
      if (from >= own) {
        break;
      }
    }
    if (parts.size() == 1) {
      return parts.getFirst();
    }
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  /** The source of a fork, which must still be held (its pin keeps it). */
  private StreamView sourceOf(StreamView v) {
    StreamView src = source(v);
    if (src == null) {
      throw new StorageException("fork " + v.key() + " lost its source stream " + v.fork().sourceStreamId());
    }
    return src;
  }

  /**
   * The stream's own bytes {@code [from, to)}: below the cold end from the object store when
   * preferred or when the local copy is gone, the rest from the local segments. A record dropped
   * while being read (the cold tier deletes segments concurrently) is read again with the newer
   * cold index, which by then covers it; null if {@code cachedOnly} and the object store is needed.
   */
  private byte[] ownRange(StreamView v, long from, long to, boolean cachedOnly) {
    var state = host.replica(v.group()).state();
    var store = state.store();
    for (int attempt = 0; ; attempt++) {
      StreamView latest = state.viewById(v.streamId());
      var ci = latest != null && latest.cold().end() > v.cold().end() ? latest.cold() : v.cold();
      if (cold.waitMillis() > 0 && to > ci.end()) {
        if (cachedOnly) {
          return null; // wait for the tier on the read pool, never on the caller's (event loop) thread
        }
        ci = awaitTiered(state, v, to, ci);
      }
      long coldTo = Math.min(to, ci.end());
      try {
        if (from < coldTo && (cold.preferred() || !hotHolds(v, store, from))) {
          if (cachedOnly) {
            return null;
          }
          byte[] c = cold.read(v, ci, from, coldTo);
          if (coldTo == to) {
            return c;
          }
          byte[] h = StreamReader.read(store, v.streamId(), v.index(), v.tail(), coldTo, to, false);
          byte[] out = java.util.Arrays.copyOf(c, c.length + h.length);
          System.arraycopy(h, 0, out, c.length, h.length);
          return out;
        }
        byte[] h = StreamReader.read(store, v.streamId(), v.index(), v.tail(), from, to, cachedOnly);
        if (h != null) {
          cold.countHot();
        }
        return h;
      } catch (io.tributary.storage.CorruptRecordException e) {
        throw damaged(v, e);
      } catch (io.tributary.storage.SegmentGoneException e) {
        if (attempt >= 2) {
          throw new io.tributary.common.UnavailableException("stream " + v.key() + ": local copy of [" + from + ", " + to
              + ") is gone and the object store does not have it yet; retry", 1);
        }
      }
    }
  }

  /**
   * The failure a read of a damaged record answers: names the stream range, the group and where in
   * its segments, and asks for a repair from a peer (when there is one). Logged here, once per
   * failed read, so the operator's log names what the client was told.
   */
  private DamagedRangeException damaged(StreamView v, io.tributary.storage.CorruptRecordException e) {
    boolean repairing = host.reportDamage(v.group(), e);
    String reason = "stream " + v.key() + ": bytes [" + e.streamFrom() + ", " + e.streamTo()
        + ") are damaged on this replica (group " + v.group() + ", segment " + e.segment().getFileName()
        + ", position " + e.position() + ": " + e.problem() + ")"
        + (repairing ? "; being repaired from a peer, retry" : "; no peer to repair from on this node");
    LOG.error("{}", reason);
    return new DamagedRangeException(reason, repairing);
  }

  /**
   * cold-reads-wait-ms: waits until the object store holds the stream's bytes below {@code to}
   * (asking the tiering task for a pass each time the cold end moves short of it) or the wait is
   * over, and returns the newest cold index seen. Read-pool threads only (it blocks). A wake-up
   * is registered before the cold end is checked, so a publish in between is not missed.
   */
  private ColdIndex.View awaitTiered(GroupState state, StreamView v, long to, ColdIndex.View seen) {
    var watches = host.replica(v.group()).coldWatches();
    long deadlineNanos = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(cold.waitMillis());
    ColdIndex.View ci = seen;
    while (ci.end() < to) {
      long leftNanos = deadlineNanos - System.nanoTime();
      if (leftNanos <= 0) {
        break;
      }
      CompletableFuture<Void> published = new CompletableFuture<>();
      WatchRegistry.Handle h = watches.register(v.streamId(), () -> published.complete(null));
      try {
        StreamView latest = state.viewById(v.streamId());
        if (latest == null) {
          break; // deleted meanwhile: the read goes on with what it has
        }
        if (latest.cold().end() > ci.end()) {
          ci = latest.cold();
          continue;
        }
        cold.expediteTiering();
        published.get(leftNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        break;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } finally {
        h.cancel();
      }
    }
    return ci;
  }

  /**
   * Prometheus text: stream byte ranges read from the object store (at least partly) and only from
   * local disk, since start ({@code tributary_stream_range_reads_total{source}}).
   */
  public String metrics() {
    long[] n = cold.rangeCounts();
    return "# TYPE tributary_stream_range_reads_total counter\n"
        + "tributary_stream_range_reads_total{source=\"cold\"} " + n[0] + "\n"
        + "tributary_stream_range_reads_total{source=\"hot\"} " + n[1] + "\n";
  }

  /** True when the record holding {@code off} (and so every later one of the stream) is still on local disk. */
  private static boolean hotHolds(StreamView v, io.tributary.storage.SegmentStore store, long off) {
    int i = v.index().locate(off);
    return i >= 0 && v.index().positions()[i] >= store.firstPosition();
  }

  // ---------------------------------------------------------------- message boundaries and blobs

  /**
   * True if {@code off} is a message boundary of the stream: its start, its tail, its retention
   * floor, or where a message begins (after a '\n' in JSON mode; a record start otherwise, so
   * the 1 MiB records of one larger append count as boundaries too). May read the disk: call it
   * on the read pool. Bytes below a view's tail never change, so the answer holds for every later
   * view of the same incarnation.
   */
  boolean isBoundary(StreamView v, long off) {
    for (StreamView cur = v; cur != null; cur = source(cur)) { // up the fork chain, in a loop
      if (off == cur.tail() || off == 0 || off == cur.ownStart() || off == cur.retainedFrom()) {
        return true;
      }
      if (off < 0 || off > cur.tail()) {
        return false;
      }
      if (cur.json()) {
        return range(cur, off - 1, off, false)[0] == '\n';
      }
      if (off >= cur.ownStart()) {
        StreamIndex.View idx = cur.index();
        if (off < idx.start()) {
          // a tiered record whose index entry this replica forgot: the chunk's record-start table knows
          return cold.recordStarts(cur, cur.cold(), off, off + 1).contains(off);
        }
        int i = idx.locate(off);
        return i >= 0 && idx.offsets()[i] == off;
      }
    }
    return false;
  }

  /**
   * Message starts strictly inside {@code (from, to)} of a non-JSON stream, ascending. May read
   * chunk objects (record starts the index forgot): call it on the read pool.
   */
  java.util.List<Long> recordStarts(StreamView v, long from, long to) {
    // each stream of the fork chain (walked in a loop) lists its own starts of the range; a
    // source's lie below its fork's, so the parts are joined lowest first
    java.util.ArrayDeque<java.util.List<Long>> parts = new java.util.ArrayDeque<>();
    long end = to;
    for (StreamView cur = v; cur != null; cur = source(cur)) {
      long own = cur.ownStart();
      if (end > own) {
        parts.addFirst(ownRecordStarts(cur, from, end));
      }
      if (from >= own) {
        break;
      }
      // the fork point itself comes from the fork's own records (its first one starts there)
      end = Math.min(end, own);
    }
    java.util.List<Long> out = new java.util.ArrayList<>();
    parts.forEach(out::addAll);
    return out;
  }

  /** Record starts strictly inside {@code (from, to)} among {@code v}'s own records ({@code to > v.ownStart()}). */
  private java.util.List<Long> ownRecordStarts(StreamView v, long from, long to) {
    java.util.List<Long> out = new java.util.ArrayList<>();
    StreamIndex.View idx = v.index();
    long lo = Math.max(from, v.ownStart());
    if (lo < idx.start() && idx.count() > 0) {
      // records the index forgot (tiered, local copy gone): from the chunks' record-start tables
      for (long s : cold.recordStarts(v, v.cold(), lo, Math.min(to, idx.start()))) {
        if (s > from) {
          out.add(s);
        }
      }
    }
    int i = Math.max(0, idx.locate(lo));
    for (; i < idx.count() && idx.offsets()[i] < to; i++) {
      if (idx.offsets()[i] > from) {
        out.add(idx.offsets()[i]);
      }
    }
    return out;
  }

  /** The bytes of an application snapshot's blob (disk or object store I/O: read pool). */
  byte[] blob(StreamView v, AppSnapshot snap) {
    if (snap.objectKey() != null) {
      if (blobStore == null) {
        throw new UnavailableException("snapshot is in the object store, which this node has not configured", 5);
      }
      try {
        return blobStore.get(snap.objectKey());
      } catch (ObjectNotFoundException e) {
        // replaced (and its object deleted) after this reader's view was taken: read the latest
        throw new UnavailableException("the snapshot was replaced while it was being read; retry", 1);
      } catch (ObjectStoreUnavailableException e) {
        throw new UnavailableException("object store unavailable: " + e.getMessage(), 5);
      }
    }
    return StreamReader.read(host.replica(v.group()).state().store(), snap.blobId(), snap.index(),
        snap.length(), 0, snap.length(), false);
  }

  /** Bytes {@code [from, to)} of a stream (disk I/O: read pool). */
  byte[] range(StreamView v, long from, long to) {
    return range(v, from, to, false);
  }

  ReadPool pool() {
    return pool;
  }

  /** This replica's view of stream {@code streamId} of group {@code group}, or null. */
  StreamView viewById(int group, long streamId) {
    return host.replica(group).viewById(streamId);
  }

  /**
   * Fork links from {@code v} to the root of its chain (0 for a stream that is no fork), counted
   * on this replica's views and at most {@code stopAbove} + 1 (the walk stops there).
   */
  int forkDepth(StreamView v, int stopAbove) {
    int depth = 0;
    for (StreamView cur = v; cur != null && cur.fork() != null && depth <= stopAbove; cur = source(cur)) {
      depth++;
    }
    return depth;
  }

  private StreamView source(StreamView v) {
    StreamView.Fork f = v.fork();
    return f == null ? null : host.replica(f.sourceGroup()).viewById(f.sourceStreamId());
  }

  /**
   * Registers {@code wake} to run (once, on an apply thread; it must not block) when the stream
   * changes; runs it at once if the stream already moved past {@code offset}, closed or vanished.
   */
  public Watch watch(StreamInfo info, long offset, Runnable wake) {
    var sm = host.replica(info.key());
    WatchRegistry.Handle h = sm.watches().register(info.streamId(), wake);
    StreamView now = sm.state().viewById(info.streamId());
    if (now == null || now.tail() > offset || now.closed() || now.softDeleted()) {
      h.cancel();
      wake.run();
      return () -> { };
    }
    return h::cancel;
  }
}
