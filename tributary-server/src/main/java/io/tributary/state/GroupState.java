package io.tributary.state;

import io.tributary.common.StreamKey;
import io.tributary.storage.SegmentStore;
import io.tributary.storage.StreamIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The deterministic state of one group: its streams (by key and by id), the id counter and the
 * segment store their bytes live in. Mutated only by the group's apply thread through
 * {@link #apply}; other threads read the concurrent maps and each stream's published view.
 */
public final class GroupState {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupState.class);
  final int group;
  final SegmentStore store;
  final WatchRegistry watches;
  /** Wake-ups for readers waiting until a stream's bytes are tiered (cold-reads-wait-ms); fired after republishing. */
  final WatchRegistry coldWatches;
  final ConcurrentSkipListMap<StreamKey, StreamEntry> byKey = new ConcurrentSkipListMap<>();
  final ConcurrentHashMap<Long, StreamEntry> byId = new ConcurrentHashMap<>();
  long nextStreamId = 1;
  /**
   * Streams per bucket in {@link #byKey} (live, or soft-deleted while pinned), for bucket-streams-max
   * and the node's bucket quota. Written by the apply thread only; concurrent so that request
   * threads can read a bucket's count ({@link #bucketStreamCount}) without a lock.
   */
  private final Map<String, Integer> bucketStreams = new ConcurrentHashMap<>();
  /**
   * Stored bytes per bucket: the sum of {@link StreamEntry#storedBytes} over the bucket's live
   * streams as last published (see {@link #countBytes}). Written by the apply thread only, after
   * each entry; request threads read it for the bucket-quota-bytes-max check. Never scanned.
   */
  private final Map<String, Long> bucketBytes = new ConcurrentHashMap<>();
  /** Feature levels announced by nodes (registry group only): node id → level. Apply thread. */
  final java.util.TreeMap<String, Integer> features = new java.util.TreeMap<>();
  private volatile java.util.Map<String, Integer> featuresView = java.util.Map.of();
  /** Bucket registry (used on the registry group only): name → creation time. */
  final ConcurrentSkipListMap<String, Long> buckets = new ConcurrentSkipListMap<>();
  private final List<Long> changed = new ArrayList<>();
  /** Streams removed by the entry being applied: published (soft-deleted) with the rest of the entry. */
  private final List<StreamEntry> removed = new ArrayList<>();
  private final ApplyFaults faults;
  /** Streams whose view changed in a way no watcher waits for (cold ranges): republished, not fired. */
  private final List<StreamEntry> republish = new ArrayList<>();
  /** The store's first segment position at the last {@link #trimIndexes} pass. Written by the apply thread only. */
  private volatile long trimmedBelowPosition;
  /** The bounds stamped into the entry being applied (see {@link Limits}). Apply thread. */
  Limits limits = Limits.UNSTAMPED;
  /** Pin of a fork removed while applying the current command, to hand back to the submitter. */
  private StreamEntry removedFork;

  private final CreateHandler create = new CreateHandler();
  private final AppendHandler append = new AppendHandler();
  private final LifecycleHandler lifecycle = new LifecycleHandler();
  private final HistoryHandler history = new HistoryHandler();
  private final ColdHandler cold = new ColdHandler();
  /**
   * Objects to delete from the object store (chunks of removed streams, chunks below a retention
   * floor), in the order they became garbage. Replicated state (in snapshots): the leader deletes
   * them and commits {@link Command.ColdGarbageCollected}, so a crash between the two only repeats
   * an idempotent delete. Readers see {@link #garbageHead}.
   */
  final java.util.LinkedHashSet<String> coldGarbage = new java.util.LinkedHashSet<>();
  /** The same keys, for readers on other threads (the orphan sweep leaves queued keys to the collector). */
  private final java.util.Set<String> garbageKeys = ConcurrentHashMap.newKeySet();
  boolean garbageChanged;
  private volatile List<String> garbageHead = List.of();
  private volatile int garbageCount;
  /** How many garbage keys {@link #garbageHead} publishes: one deletion batch of the leader. */
  static final int GARBAGE_HEAD_MAX = 256;

  GroupState(int group, SegmentStore store, WatchRegistry watches) {
    this(group, store, watches, new WatchRegistry(), ApplyFaults.none());
  }

  GroupState(int group, SegmentStore store, WatchRegistry watches, WatchRegistry coldWatches, ApplyFaults faults) {
    this.group = group;
    this.store = store;
    this.watches = watches;
    this.coldWatches = coldWatches;
    this.faults = faults;
  }

  /**
   * Applies one entry's commands in order; returns one outcome per command. Apply thread.
   *
   * <p>All or nothing for readers: commands change the streams' private fields and append records
   * to the store's write-behind buffer; only after every command ran and the buffer reached the
   * segment file ({@link SegmentStore#publish}) are the streams' views republished and watchers
   * woken. An exception on the way (a failed write, a broken invariant) leaves every view and the
   * readable segment end as they were before the entry (only a stream the entry removed may
   * already be gone from the key map: that removal committed, and no bytes depend on it), and the
   * caller stops this replica: the half-changed private fields are never read again (see
   * {@link ReplicaCore#apply}).
   */
  List<Outcome> apply(CommandCodec.Batch batch) {
    List<Outcome> out = new ArrayList<>(batch.commands().size());
    long now = batch.nowMillis();
    store.beginEntry(); // before any view of this entry is published: see SegmentStore#version
    limits = batch.limits();
    ApplyFaults.checkReadable(batch);
    for (Command c : batch.commands()) {
      faults.check(c);
      out.add(withIncarnation(c, apply(c, now)));
      if (removedFork != null) {
        int last = out.size() - 1;
        Outcome o = out.get(last);
        if (!o.hasRelease()) {
          out.set(last, o.withRelease(removedFork.fork.sourceKey(), removedFork.fork.sourceStreamId(),
              removedFork.forkPinId));
        } else {
          // cannot happen with the current handlers (one removal per command); never fail apply over it
          LOG.warn("group {}: second fork pin release on {} dropped; pin {} leaks until the pin reconciler runs",
              group, c.key(), removedFork.forkPinId);
        }
        removedFork = null;
      }
    }
    store.publish();
    for (StreamEntry e : removed) {
      countBytes(e, 0);
      e.publish();
    }
    for (StreamEntry e : republish) {
      e.publish();
    }
    for (StreamEntry e : republish) {
      coldWatches.fire(e.streamId);
    }
    republish.clear();
    for (Long id : changed) {
      StreamEntry e = byId.get(id);
      if (e != null) {
        countBytes(e, e.softDeleted ? 0 : e.storedBytes());
        e.publish();
      }
    }
    for (Long id : changed) {
      watches.fire(id);
    }
    changed.clear();
    removed.clear();
    publishGarbage();
    trimIndexes();
    store.endEntry(); // every view of this entry is published: its records are visible to LiveRecords
    return out;
  }

  private Outcome apply(Command c, long now) {
    return switch (c) {
      case Command.Create cr -> create.apply(this, cr, now);
      case Command.Append a -> append.apply(this, a, now);
      case Command.Delete d -> lifecycle.delete(this, d, now);
      case Command.Touch t -> lifecycle.touch(this, t, now);
      case Command.PinFork p -> lifecycle.pin(this, p, now);
      case Command.UnpinFork u -> lifecycle.unpin(this, u);
      case Command.CreateBucket b -> createBucket(b.key().bucket(), now);
      case Command.DeleteBucket b -> deleteBucket(b.key().bucket());
      case Command.PublishSnapshot p -> history.publish(this, p, now);
      case Command.SetRetention r -> history.retain(this, r, now);
      case Command.SetAttrs a -> history.attrs(this, a, now);
      case Command.AppendBatch b -> append.applyBatch(this, b, now);
      case Command.Transaction t -> append.applyTransaction(this, t, now);
      case Command.ColdChunksPublished p -> cold.publish(this, p, now);
      case Command.ColdGarbageCollected g -> cold.collected(this, g);
      case Command.Nop n -> Outcome.of(Outcome.Code.NOP, null);
      case Command.AnnounceFeatures a -> announce(a.nodeId(), a.level());
      case Command.IfIncarnation g -> {
        Outcome refused = incarnationRefusal(g, now);
        yield refused != null ? refused : apply(g.command(), now);
      }
    };
  }

  /** Null when {@code g}'s command may apply; else its 412 (see {@link Command.IfIncarnation}). */
  private Outcome incarnationRefusal(Command.IfIncarnation g, long now) {
    StreamEntry e = live(g.key(), now);
    if (e == null) {
      return g.command() instanceof Command.Create cr ? CreateHandler.release(cr, Outcome.of(
          Outcome.Code.PRECONDITION_FAILED, "Stream-Incarnation: incarnation " + g.streamId()
              + " no longer exists; creating the stream would make a new one")) : null;
    }
    if (e.streamId == g.streamId()) {
      return null;
    }
    Outcome refused = Outcome.tail(Outcome.Code.PRECONDITION_FAILED, e.tail, e.closed).withStreamId(e.streamId)
        .withMessage("Stream-Incarnation: the stream was deleted and re-created (it is incarnation " + e.streamId
            + ", not " + g.streamId() + ")");
    return g.command() instanceof Command.Create cr ? CreateHandler.release(cr, refused) : refused;
  }

  /**
   * Stamps the incarnation (stream id) of the live stream on the outcome of a stream write that
   * succeeded, for the {@code Stream-Incarnation} response header. Reads state only: deterministic.
   */
  private Outcome withIncarnation(Command c, Outcome o) {
    if (o.streamId() >= 0) {
      return o;
    }
    boolean success = switch (o.code()) {
      case CREATED, EXISTS, APPENDED, DUPLICATE, CLOSED, SNAPSHOT_PUBLISHED, RETENTION_SET, ATTRS_SET -> true;
      default -> false;
    };
    if (!success || c instanceof Command.Transaction) {
      return o;
    }
    StreamEntry e = byKey.get(c.key());
    return e == null ? o : o.withStreamId(e.streamId);
  }

  /**
   * Once the cold tier deleted segments (the store's first position moved), forgets the index
   * entries of records that are gone from this replica's disk and are in the object store
   * ({@link StreamEntry#trimIndex}) and republishes those streams, so a stream's index holds its
   * local records, not its whole history. A pass visits every stream, once per segment deletion.
   *
   * <p>Which entries a replica keeps depends on when it deleted its segments, so this is local
   * state, like the segments themselves, not replicated state: no outcome of apply reads the
   * index, snapshots of two replicas may differ in how many leading entries they list, and
   * every replica reads the forgotten records from the object store, which has the same bytes
   * and, in each chunk's record-start table, the same record boundaries. Apply thread (after
   * an entry, before a snapshot, on load).
   */
  void trimIndexes() {
    long first = store.firstPosition();
    if (first <= trimmedBelowPosition) {
      return;
    }
    trimmedBelowPosition = first;
    for (StreamEntry e : byId.values()) {
      if (e.trimIndex(first)) {
        e.publish();
      }
    }
  }

  /** Publishes the head of the garbage queue if it changed (apply thread). */
  void publishGarbage() {
    if (!garbageChanged) {
      return;
    }
    garbageChanged = false;
    garbageHead = coldGarbage.stream().limit(GARBAGE_HEAD_MAX).toList();
    garbageCount = coldGarbage.size();
  }

  /** Queues the object keys of chunks {@code from..to-1} of {@code e} for deletion. */
  void enqueueGarbage(StreamEntry e, int from, int to) {
    for (int i = from; i < to; i++) {
      queueGarbage(io.tributary.cold.ChunkFormat.key(group, e.streamId, e.cold.startAt(i), e.cold.endAt(i)));
    }
  }

  void queueGarbage(String key) {
    coldGarbage.add(key);
    garbageKeys.add(key);
    garbageChanged = true;
  }

  void dequeueGarbage(List<String> keys) {
    for (String k : keys) {
      garbageChanged |= coldGarbage.remove(k);
      garbageKeys.remove(k);
    }
  }

  /** After a retention change: chunks wholly below the floor become garbage, unless forks may read them. */
  void trimCold(StreamEntry e) {
    if (!e.pins.isEmpty()) {
      return; // a fork reads the source below its fork point, whatever the source's retention
    }
    int from = e.cold.first();
    int n = e.cold.trimBelow(e.retainedFrom);
    enqueueGarbage(e, from, from + n);
  }

  private Outcome createBucket(String name, long now) {
    if (buckets.containsKey(name)) {
      return Outcome.of(Outcome.Code.BUCKET_EXISTS, null);
    }
    if (buckets.size() >= limits.bucketsMax()) {
      return Outcome.of(Outcome.Code.LIMIT_REACHED, "there are buckets-max (" + limits.bucketsMax()
          + ") buckets; delete one first");
    }
    buckets.put(name, now);
    return Outcome.of(Outcome.Code.BUCKET_CREATED, null);
  }

  /** Streams of {@code bucket} this group holds (live, or deleted while forks read them). */
  int bucketStreams(String bucket) {
    return bucketStreams.getOrDefault(bucket, 0);
  }

  /** Keeps {@link #bucketStreams} in step with {@link #byKey}: every put and remove of a key passes here. */
  void countStream(StreamKey key, int delta) {
    bucketStreams.merge(key.bucket(), delta, (a, b) -> a + b == 0 ? null : a + b);
  }

  /**
   * Moves {@code e}'s share of its bucket's stored bytes to {@code bytes} (0 once it is removed).
   * Every change of a stream's tail or retention floor marks it changed, and every changed stream
   * passes here when the entry's views are published, so the per-bucket sum follows by deltas.
   * Apply thread (and snapshot restore, before the state is shared).
   */
  void countBytes(StreamEntry e, long bytes) {
    long delta = bytes - e.countedBytes;
    if (delta != 0) {
      e.countedBytes = bytes;
      bucketBytes.merge(e.key.bucket(), delta, (a, b) -> a + b == 0 ? null : a + b);
    }
  }

  /** Streams of {@code bucket} this replica holds (live, or deleted while forks read them). Any thread. */
  public int bucketStreamCount(String bucket) {
    return bucketStreams.getOrDefault(bucket, 0);
  }

  /** Stored bytes of {@code bucket}'s live streams on this replica, as of the last applied entry. Any thread. */
  public long bucketStoredBytes(String bucket) {
    return bucketBytes.getOrDefault(bucket, 0L);
  }

  /** Records a node's feature level (registry group) and republishes the map. */
  private Outcome announce(String nodeId, int level) {
    features.put(nodeId, level);
    featuresView = java.util.Map.copyOf(features);
    return Outcome.of(Outcome.Code.FEATURES_RECORDED, null);
  }

  /** Loads one recorded level from a snapshot (apply thread, before the state is published). */
  void restoreFeature(String nodeId, int level) {
    announce(nodeId, level);
  }

  /** Feature level per node id, as announced through this group's log (registry group). Any thread. */
  public java.util.Map<String, Integer> features() {
    return featuresView;
  }

  private Outcome deleteBucket(String name) {
    return buckets.remove(name) == null ? Outcome.of(Outcome.Code.NOT_FOUND, "bucket not found")
        : Outcome.of(Outcome.Code.BUCKET_DELETED, null);
  }

  /** Registered buckets in name order (registry group). */
  public java.util.NavigableMap<String, Long> buckets() {
    return java.util.Collections.unmodifiableNavigableMap(buckets);
  }

  void markRepublish(StreamEntry e) {
    republish.add(e);
  }

  void markChanged(StreamEntry e) {
    changed.add(e.streamId);
  }

  /** The live entry for a key at {@code now}; an expired entry without pins is removed on the way. */
  StreamEntry live(StreamKey key, long now) {
    StreamEntry e = byKey.get(key);
    if (e != null && e.pins.isEmpty() && e.expiredAt(now)) {
      remove(e);
      return null;
    }
    return e;
  }

  void add(StreamEntry e) {
    if (byKey.put(e.key, e) == null) {
      countStream(e.key, 1);
    }
    byId.put(e.streamId, e);
    markChanged(e); // published with the rest of the entry: until then readers find no view
  }

  /**
   * Removes a stream. Its records stay in the segments as garbage until segment compaction. When
   * the stream was a fork, its pin on the source is handed back in the command's outcome.
   */
  void remove(StreamEntry e) {
    if (e.fork != null) {
      removedFork = e;
    }
    if (byKey.remove(e.key, e)) {
      countStream(e.key, -1);
    }
    byId.remove(e.streamId);
    enqueueGarbage(e, e.cold.first(), e.cold.count());
    e.softDeleted = true;
    removed.add(e);
    changed.add(e.streamId);
  }

  /** Writes framed bytes to the stream's tail, splitting into records of bounded size. */
  void writeData(StreamEntry e, byte[] data) {
    writeData(e, data, 0, data.length);
  }

  /** Writes {@code data[from, from+len)} to the stream's tail as one message (one or more records). */
  void writeData(StreamEntry e, byte[] data, int from, int len) {
    int off = from;
    int end = from + len;
    while (off < end) {
      int n = Math.min(SegmentStore.RECORD_PAYLOAD_MAX, end - off);
      long pos = store.append(e.streamId, e.tail, data, off, n);
      e.index.add(e.tail, pos);
      e.tail += n;
      off += n;
    }
  }

  /** Writes a blob under its own id, one record per record-size chunk; returns the record positions. */
  long[] writeBlob(long blobId, byte[] data) {
    int records = Math.max(1, (data.length + SegmentStore.RECORD_PAYLOAD_MAX - 1) / SegmentStore.RECORD_PAYLOAD_MAX);
    long[] positions = new long[data.length == 0 ? 0 : records];
    for (int i = 0; i < positions.length; i++) {
      int off = i * SegmentStore.RECORD_PAYLOAD_MAX;
      positions[i] = store.append(blobId, off, data, off, Math.min(SegmentStore.RECORD_PAYLOAD_MAX, data.length - off));
    }
    return positions;
  }

  // ---- read side (any thread) ----

  /** True when segments were deleted since the last {@link #trimIndexes} pass (it runs after the next applied entry). */
  public boolean indexTrimPending() {
    return store.firstPosition() > trimmedBelowPosition;
  }

  /** Object keys waiting for deletion, oldest first (at most {@value #GARBAGE_HEAD_MAX}). */
  public List<String> garbageHead() {
    return garbageHead;
  }

  public int garbageCount() {
    return garbageCount;
  }

  /** True while {@code key} waits in the garbage queue (it will be deleted and acknowledged by the collector). */
  public boolean isQueuedGarbage(String key) {
    return garbageKeys.contains(key);
  }

  /** True when a stream with this id holds data here (live, soft-deleted or pinned); ids are never reused. */
  public boolean holdsStream(long streamId) {
    return byId.containsKey(streamId);
  }

  /** Runs {@code f} on the published view of every stream still holding data (live or pinned). */
  public void forEachView(java.util.function.Consumer<StreamView> f) {
    for (StreamEntry e : byId.values()) {
      StreamView v = e.view;
      if (v != null) {
        f.accept(v);
      }
    }
  }

  /**
   * The lowest segment position a reader may still need from the local disk: the first record
   * of every stream's bytes that are not cold yet, and every application snapshot blob (blobs are
   * not tiered). Records below it are cold or garbage (removed streams, replaced blobs). Reads
   * the published end first, so records written meanwhile are above the answer. Any thread (the
   * cold tier's). Bytes below a retention floor count here: the tier still uploads them.
   */
  public long hotLowWatermark() {
    return lowWatermark(false);
  }

  /**
   * The lowest segment position anything may still read on a node that does not tier: like
   * {@link #hotLowWatermark}, but bytes below a stream's retention floor are garbage too while
   * no fork pins the stream (a fork reads its source from the source's start, whatever its
   * floor). Records below it belong to removed or expired streams, retention-trimmed bytes,
   * replaced blobs, or are in the object store from an earlier configuration. Any thread (the
   * reclaim thread's).
   */
  public long reclaimLowWatermark() {
    return lowWatermark(true);
  }

  /**
   * The first stream offset of {@code v} a reader may still need from local disk: its cold end
   * (below it the object store serves), and with {@code retentionIsGarbage} its retention floor
   * while no fork pins it (a fork reads its source from the source's start).
   */
  static long localFloor(StreamView v, boolean retentionIsGarbage) {
    long floor = retentionIsGarbage && v.pinCount() == 0 ? Math.max(v.ownStart(), v.retainedFrom()) : v.ownStart();
    return Math.max(v.cold().end(), floor);
  }

  private long lowWatermark(boolean retentionIsGarbage) {
    long low = store.publishedEnd();
    for (StreamEntry e : byId.values()) {
      StreamView v = e.view;
      if (v == null) {
        continue;
      }
      long coldEnd = localFloor(v, retentionIsGarbage);
      if (coldEnd < v.tail()) {
        int i = v.index().locate(coldEnd);
        if (i >= 0) {
          low = Math.min(low, v.index().positions()[i]);
        }
      }
      AppSnapshot snap = v.snapshot();
      if (snap != null && snap.positions().length > 0) {
        low = Math.min(low, snap.positions()[0]);
      }
    }
    return low;
  }

  public StreamView view(StreamKey key) {
    StreamEntry e = byKey.get(key);
    return e == null ? null : e.view;
  }

  public StreamView viewById(long streamId) {
    StreamEntry e = byId.get(streamId);
    return e == null ? null : e.view;
  }

  public SegmentStore store() {
    return store;
  }

  public int group() {
    return group;
  }

  public int streamCount() {
    return byKey.size();
  }

  /** Live stream views of a bucket in key order, starting after {@code afterStream} (exclusive). */
  public List<StreamView> list(String bucket, String afterStream, int limit) {
    List<StreamView> out = new ArrayList<>();
    StreamKey from = new StreamKey(bucket, afterStream == null ? "" : afterStream);
    for (Map.Entry<StreamKey, StreamEntry> me : byKey.tailMap(from, afterStream == null).entrySet()) {
      if (!me.getKey().bucket().equals(bucket) || out.size() >= limit) {
        break;
      }
      StreamView v = me.getValue().view;
      if (v != null && !v.softDeleted()) {
        out.add(v);
      }
    }
    return out;
  }

  static StreamIndex newIndex() {
    return new StreamIndex();
  }
}
