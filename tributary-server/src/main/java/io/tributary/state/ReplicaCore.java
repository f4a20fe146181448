package io.tributary.state;

import io.tributary.storage.SegmentStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine-neutral half of one group's replica, shared by every consensus engine's state-machine
 * binding ({@code group.jraft.JRaftStateMachine}):
 * the fail-stop apply of a committed entry through {@link GroupState}, loading a snapshot over the
 * group's segments, writing a snapshot's metadata, and the applied index with its waiters. What
 * stays in a binding is how the engine hands over entries, where it keeps snapshot files, and how a
 * lagging replica receives one.
 *
 * <p>Threads: the engine's apply thread for the group (SOFAJRaft's
 * FSM caller: one per group) is the only caller of {@link #apply}, {@link #load} and
 * {@link #prepareSnapshot}; it owns the {@link GroupState} and its {@link SegmentStore}. Everything
 * else is safe on any thread (volatile fields, the waiters' queue guarded by itself).
 */
public final class ReplicaCore implements Replica {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaCore.class);

  private final int group;
  private final Path segmentDir;
  private final long segmentBytesMax;
  private final long tailCacheBytes;
  private final long readCacheBytes;
  private final ReplicaHalt halt;
  private final ApplyFaults faults;
  private final WatchRegistry watches = new WatchRegistry();
  private final WatchRegistry coldWatches = new WatchRegistry();
  /** The first entry this replica could not apply, or null; once set, nothing is applied or snapshotted again. */
  private volatile ApplyFailure failure;
  private volatile GroupState state;
  /** The state whose store {@link #closeStore} closed last (so it closes each store once). */
  private GroupState closedState;
  private volatile long appliedIndex = -1;
  /** Futures waiting for the applied index to reach a value; guarded by itself. */
  private final PriorityQueue<AppliedWaiter> appliedWaiters = new PriorityQueue<>();

  private record AppliedWaiter(long index, CompletableFuture<Void> future) implements Comparable<AppliedWaiter> {
    @Override
    public int compareTo(AppliedWaiter o) {
      return Long.compare(index, o.index);
    }
  }

  /**
   * @param halt what the node does after this replica stopped on an entry it could not apply
   * @param faults injected apply faults (tests of the fail-stop path; {@link ApplyFaults#none()} otherwise)
   */
  public ReplicaCore(int group, Path segmentDir, long segmentBytesMax, long tailCacheBytes, long readCacheBytes,
      ReplicaHalt halt, ApplyFaults faults) {
    this.group = group;
    this.segmentDir = segmentDir;
    this.segmentBytesMax = segmentBytesMax;
    this.tailCacheBytes = tailCacheBytes;
    this.readCacheBytes = readCacheBytes;
    this.halt = halt;
    this.faults = faults;
  }

  @Override
  public int group() {
    return group;
  }

  /** Where this group's data segments live. */
  public Path segmentDir() {
    return segmentDir;
  }

  @Override
  public GroupState state() {
    return state;
  }

  @Override
  public WatchRegistry watches() {
    return watches;
  }

  @Override
  public WatchRegistry coldWatches() {
    return coldWatches;
  }

  @Override
  public ApplyFailure failure() {
    return failure;
  }

  @Override
  public long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public CompletableFuture<Void> awaitApplied(long index) {
    if (appliedIndex >= index) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (appliedWaiters) {
      appliedWaiters.add(new AppliedWaiter(index, f));
    }
    if (appliedIndex >= index) {
      releaseApplied();
    }
    return f;
  }

  /**
   * Records that every entry up to {@code index} is applied (entries the engine applies without
   * this class: configuration and no-op entries). Ignored once this replica stopped, so its
   * applied index stays below the entry it could not apply. The apply thread only.
   */
  public void setApplied(long index) {
    if (failure != null) {
      return;
    }
    appliedIndex = index;
    releaseApplied();
  }

  private void releaseApplied() {
    List<CompletableFuture<Void>> ready = null;
    synchronized (appliedWaiters) {
      while (!appliedWaiters.isEmpty() && appliedWaiters.peek().index <= appliedIndex) {
        if (ready == null) {
          ready = new ArrayList<>();
        }
        ready.add(appliedWaiters.poll().future);
      }
    }
    if (ready != null) {
      ready.forEach(f -> f.complete(null));
    }
  }

  /**
   * Applies the committed entry at {@code term}/{@code index} and returns its encoded outcomes, or
   * stops this replica for good.
   *
   * <p>Fail-stop: apply is deterministic, so an exception here is never the client's fault (their
   * errors are outcomes): a failed write, a broken invariant, or a command this build does not
   * know. SOFAJRaft does not stop applying by itself in a way that keeps the
   * replica's state untouched, so the first failure is recorded, the applied index stays below the
   * entry, every later entry is refused without being looked at, no snapshot is taken past it, and
   * {@link ReplicaHalt} ends the node. A restart re-applies the log from the last snapshot.
   *
   * @throws ReplicaStoppedException when this entry, or an earlier one, could not be applied
   */
  public byte[] apply(long term, long index, ByteBuffer data) throws ReplicaStoppedException {
    ApplyFailure stopped = failure;
    if (stopped != null) {
      throw new ReplicaStoppedException(stopped);
    }
    List<Outcome> outcomes;
    try {
      outcomes = state.apply(CommandCodec.decode(data));
    } catch (RuntimeException | StackOverflowError e) {
      ApplyFailure f = new ApplyFailure(group, term, index, e.toString());
      failure = f;
      LOG.error("{}: this replica stops applying", f.describe(), e);
      halt.halt(f);
      throw new ReplicaStoppedException(f);
    }
    setApplied(index);
    return CommandCodec.encodeOutcomes(outcomes);
  }

  /**
   * Replaces the state with the one {@code snapshotFile} describes (null: the empty state, every
   * segment dropped) over a freshly opened {@link SegmentStore}; the binding has put the segments
   * the snapshot refers to in place first. Wakes every live reader, since any stream may have
   * changed. The apply thread only.
   *
   * @param snapshotName the snapshot's term and index, for messages
   * @param previousSnapshotEnd segment end of the retained snapshot before this one (0: none), below
   *     which segments may be reclaimed
   */
  public GroupState load(Path snapshotFile, String snapshotName, long snapshotIndex, long previousSnapshotEnd)
      throws IOException {
    closeStore();
    SegmentStore store = new SegmentStore(segmentDir, segmentBytesMax, tailCacheBytes, readCacheBytes);
    GroupState s = recover(new GroupState(group, store, watches, coldWatches, faults), snapshotFile, snapshotName);
    if (snapshotFile == null) {
      LOG.info("group {}: no snapshot; segments reset, the log will be re-applied", group);
    } else {
      store.markPreviousSnapshotEnd(previousSnapshotEnd);
      appliedIndex = snapshotIndex; // may move back: a reload replaces what was applied
      releaseApplied();
      LOG.info("group {}: loaded snapshot {} with {} streams, segments end {}", group, snapshotName, s.streamCount(),
          store.end());
    }
    state = s;
    // a reloaded snapshot may change any stream: wake every live reader so it re-checks
    watches.fireAll();
    coldWatches.fireAll();
    return s;
  }

  /**
   * Brings an empty {@code s} to the state of the snapshot in {@code snapshotFile} (null: no
   * snapshot, the empty state): reads the metadata and truncates the segments to the end it
   * records, so re-applying the log after the snapshot's index rewrites exactly the bytes that
   * followed. Returns {@code s}. The deterministic simulation recovers replicas through this code.
   */
  static GroupState recover(GroupState s, Path snapshotFile, String snapshotName) throws IOException {
    SegmentStore store = s.store;
    if (snapshotFile == null) {
      store.truncateTo(0);
      return s;
    }
    long end = SnapshotCodec.read(snapshotFile, s);
    if (store.end() < end && store.firstPosition() < store.end()) {
      // (a store with no segments at all had every one dropped after tiering: nothing is missing)
      throw new IOException("group " + s.group + ": segments end at " + store.end() + " but snapshot "
          + snapshotName + " needs " + end + " (data directory damaged)");
    }
    store.truncateTo(end);
    store.markSnapshotEnd(end);
    s.trimIndexes(); // segments deleted after this snapshot was written: forget their records too
    return s;
  }

  /**
   * Captures the current state for a metadata snapshot (apply thread: the stream table is encoded
   * now, a few hundred bytes per stream; the record indexes are held as immutable views). The
   * returned snapshot is written, with the fsyncs it needs, by {@link PreparedSnapshot#write} on
   * any thread while this one goes on applying entries.
   *
   * @throws IOException also when this replica stopped: the state in memory may be half-way
   *     through the failed entry and is never persisted
   */
  public PreparedSnapshot prepareSnapshot() throws IOException {
    ApplyFailure stopped = failure;
    if (stopped != null) {
      throw new IOException("no snapshot: " + stopped.describe());
    }
    return prepare(state);
  }

  /**
   * The capture half of a snapshot of {@code s}, on the thread that owns it: the replica's own
   * snapshots and the deterministic simulation's replicas take snapshots through this one order.
   */
  static PreparedSnapshot prepare(GroupState s) throws IOException {
    long end = s.store.flushForSnapshot();
    s.trimIndexes(); // so the snapshot lists no record this replica no longer holds
    long version = s.store.version();
    return new PreparedSnapshot(s.store, end, version, SnapshotCodec.capture(s, end));
  }

  /**
   * A metadata snapshot captured by {@link #prepareSnapshot}, not yet on disk. Immutable; written
   * on any thread, once.
   */
  public static final class PreparedSnapshot {
    private final SegmentStore store;
    private final long segmentEnd;
    private final long version;
    private final SnapshotCodec.Image image;

    private PreparedSnapshot(SegmentStore store, long segmentEnd, long version, SnapshotCodec.Image image) {
      this.store = store;
      this.segmentEnd = segmentEnd;
      this.version = version;
      this.image = image;
    }

    /** The segment end the snapshot refers to: every record below it is in the segments it needs. */
    public long segmentEnd() {
      return segmentEnd;
    }

    /** The segment files holding {@code [0, segmentEnd)}, for the snapshot to keep (hard links) or ship. */
    public java.util.List<SegmentStore.FileRange> segmentFiles() {
      return store.ranges(segmentEnd);
    }

    /**
     * Makes the segments durable below the snapshot's end, then writes the metadata to {@code file}
     * (fsync'd with its directory), then lets the segment store treat it as the latest snapshot.
     */
    public void write(Path file) throws IOException {
      store.syncBelow(segmentEnd);
      image.writeTo(file);
      io.tributary.common.DurableFiles.fsyncDirectory(file.toAbsolutePath().getParent());
      store.markSnapshotEnd(segmentEnd, version);
    }
  }

  /** Checks a metadata snapshot's CRC; returns the segment end it refers to. Any thread. */
  public static long verifiedSegmentEnd(Path file) throws IOException {
    SnapshotCodec.verify(file);
    return SnapshotCodec.segmentEnd(file);
  }

  /**
   * Closes the current state's segment store (once), before a binding replaces the segment
   * directory or at shutdown; a following {@link #load} opens a new one. The apply thread, or after
   * the engine stopped.
   */
  public void closeStore() {
    GroupState s = state;
    if (s != null && closedState != s) {
      closedState = s;
      s.store.close();
    }
  }
}
