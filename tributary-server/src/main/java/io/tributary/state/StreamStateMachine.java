package io.tributary.state;

import io.tributary.storage.SegmentStore;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of one group. Ratis's state-machine updater thread (one per group) is
 * the only thread that applies entries, takes snapshots and (re)loads state; everything it
 * changes is published through {@link GroupState}'s concurrent maps and per-stream views.
 *
 * <p>Recovery: {@link #initialize} loads the latest snapshot (metadata + index, referring to
 * segment bytes fsync'd before it was written), truncates the segments to the end the snapshot
 * recorded, and Ratis then re-applies the log after the snapshot index, which rewrites exactly the
 * bytes that followed. Without a snapshot the segments are truncated to zero and the whole log is
 * re-applied.
 */
public final class StreamStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(StreamStateMachine.class);

  private final int group;
  private final Path segmentDir;
  private final long segmentBytesMax;
  private final long tailCacheBytes;
  private final SimpleStateMachineStorage smStorage = new SimpleStateMachineStorage();
  private final WatchRegistry watches = new WatchRegistry();
  private volatile GroupState state;
  private volatile long appliedIndex = -1;

  public StreamStateMachine(int group, Path segmentDir, long segmentBytesMax, long tailCacheBytes) {
    this.group = group;
    this.segmentDir = segmentDir;
    this.segmentBytesMax = segmentBytesMax;
    this.tailCacheBytes = tailCacheBytes;
  }

  public int group() {
    return group;
  }

  /** The current state; replaced only when a snapshot is (re)loaded. */
  public GroupState state() {
    return state;
  }

  public WatchRegistry watches() {
    return watches;
  }

  /** Highest applied log index (published after each apply). */
  public long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return smStorage;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    smStorage.init(raftStorage);
    load(smStorage.getLatestSnapshot());
  }

  @Override
  public void reinitialize() throws IOException {
    load(smStorage.loadLatestSnapshot());
  }

  private void load(SingleFileSnapshotInfo snapshot) throws IOException {
    GroupState old = state;
    if (old != null) {
      old.store.close();
    }
    SegmentStore store = new SegmentStore(segmentDir, segmentBytesMax, tailCacheBytes);
    GroupState s = new GroupState(group, store, watches);
    if (snapshot == null) {
      store.truncateTo(0);
      LOG.info("group {}: no snapshot; segments reset, the log will be re-applied", group);
    } else {
      Path file = snapshot.getFile().getPath();
      long end = SnapshotCodec.read(file, s);
      if (store.end() < end) {
        throw new IOException("group " + group + ": segments end at " + store.end() + " but snapshot "
            + snapshot.getTermIndex() + " needs " + end + " (data directory damaged)");
      }
      store.truncateTo(end);
      setLastAppliedTermIndex(snapshot.getTermIndex());
      appliedIndex = snapshot.getIndex();
      LOG.info("group {}: loaded snapshot {} with {} streams, segments end {}", group, snapshot.getTermIndex(),
          s.streamCount(), end);
    }
    state = s;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    ByteBuffer data = entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer();
    List<Outcome> outcomes;
    try {
      outcomes = state.apply(CommandCodec.decode(data));
    } catch (RuntimeException e) {
      // Apply must be deterministic; a failure here (disk error, corrupt entry) means this replica
      // cannot continue safely. Fail the entry loudly; Ratis stops the division.
      LOG.error("group {}: apply failed at term {} index {}", group, entry.getTerm(), entry.getIndex(), e);
      return CompletableFuture.failedFuture(e);
    }
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    appliedIndex = entry.getIndex();
    return CompletableFuture.completedFuture(
        Message.valueOf(UnsafeByteOperations.unsafeWrap(CommandCodec.encodeOutcomes(outcomes))));
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return NO_SNAPSHOT_INDEX;
    }
    GroupState s = state;
    s.store.sync();
    File file = smStorage.getSnapshotFile(last.getTerm(), last.getIndex());
    SnapshotCodec.write(s, s.store.end(), file.toPath());
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    smStorage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    LOG.debug("group {}: snapshot at {}", group, last);
    return last.getIndex();
  }

  private static final long NO_SNAPSHOT_INDEX = -1;

  @Override
  public void close() throws IOException {
    GroupState s = state;
    if (s != null) {
      s.store.close();
    }
    super.close();
  }
}
