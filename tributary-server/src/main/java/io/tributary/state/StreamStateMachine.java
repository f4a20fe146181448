package io.tributary.state;

import io.tributary.storage.SegmentStore;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
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
 * re-applied. A snapshot downloaded from the leader just before a crash may be ahead of the Raft
 * log; {@link OpenSegmentRepair} then drops the log's open segment before Ratis reads it. A
 * newest snapshot that fails its CRC is moved aside first ({@link SnapshotFallback}): the group
 * then starts from the previous one and re-applies the log behind it.
 */
public final class StreamStateMachine extends BaseStateMachine implements Replica {
  private static final Logger LOG = LoggerFactory.getLogger(StreamStateMachine.class);

  private final int group;
  private final Path segmentDir;
  private final SnapshotSource snapshotSource;
  /** The engine-neutral replica: state, fail-stop apply, applied index and its waiters. */
  private final ReplicaCore core;
  private final SimpleStateMachineStorage smStorage = new SimpleStateMachineStorage();
  /** Set by {@link #initialize}; used by {@link #flush} on Ratis's log worker. */
  private volatile RaftLogDirectorySync logDirectory;

  /**
   * @param halt what the node does after this replica stopped on an entry it could not apply
   * @param faults injected apply faults (tests of the fail-stop path; {@link ApplyFaults#none()} otherwise)
   */
  public StreamStateMachine(int group, Path segmentDir, long segmentBytesMax, long tailCacheBytes,
      long readCacheBytes, SnapshotSource snapshotSource, ReplicaHalt halt, ApplyFaults faults) {
    this.snapshotSource = snapshotSource;
    this.group = group;
    this.segmentDir = segmentDir;
    this.core = new ReplicaCore(group, segmentDir, segmentBytesMax, tailCacheBytes, readCacheBytes, halt, faults,
        this::exportSnapshot);
  }

  @Override
  public int group() {
    return group;
  }

  /** The current state; replaced only when a snapshot is (re)loaded. */
  @Override
  public GroupState state() {
    return core.state();
  }

  @Override
  public WatchRegistry watches() {
    return core.watches();
  }

  /** Wake-ups fired when a stream's cold ranges grow (its view is republished, no bytes change). */
  @Override
  public WatchRegistry coldWatches() {
    return core.coldWatches();
  }

  /** The entry this replica stopped at, or null while it applies normally. Any thread. */
  @Override
  public ApplyFailure failure() {
    return core.failure();
  }

  /** Highest applied log index (published after each apply). */
  @Override
  public long appliedIndex() {
    return core.appliedIndex();
  }

  /** Completes once this replica has applied {@code index} (at once if it already has). Any thread. */
  @Override
  public CompletableFuture<Void> awaitApplied(long index) {
    return core.awaitApplied(index);
  }

  /**
   * The read barrier's query, answered on the leader after Ratis confirmed its leadership: the
   * last committed index that is not a metadata entry. Every acknowledged write is at or below it,
   * and unlike trailing metadata entries (whose commit followers learn only from the next
   * heartbeat) followers learn its commit at once, so waiting for it is short.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      RaftLog log = getServer().get().getDivision(getGroupId()).getRaftLog();
      long c = log.getLastCommittedIndex();
      while (c > 0) {
        LogEntryProto e = log.get(c);
        if (e == null || !e.hasMetadataEntry()) {
          break;
        }
        c--;
      }
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).putLong(c);
      return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(b.array())));
    } catch (IOException | InterruptedException | java.util.concurrent.ExecutionException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return smStorage;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    SnapshotFallback.setAsideDamaged(raftStorage, group); // before Ratis caches the newest snapshot
    smStorage.init(raftStorage);
    logDirectory = new RaftLogDirectorySync(raftStorage.getStorageDir().getCurrentDir().toPath());
    SingleFileSnapshotInfo latest = smStorage.getLatestSnapshot();
    if (latest != null) {
      // Ratis reads its log after this returns; a snapshot installed just before a crash may be ahead of it
      OpenSegmentRepair.dropOpenSegmentBelowSnapshot(raftStorage,
          RaftServerConfigKeys.Log.Appender.bufferByteLimit(server.getProperties()), latest.getIndex(),
          "group " + group);
    }
    getLifeCycle().startAndTransition(() -> load(latest), IOException.class);
  }

  /**
   * Called by Ratis's log worker before it fsyncs the log, and waited for before the entries count
   * as flushed: makes the log directory's names durable ({@link RaftLogDirectorySync}).
   */
  @Override
  public CompletableFuture<Void> flush(long logIndex) {
    try {
      logDirectory.syncIfChanged();
      return CompletableFuture.completedFuture(null);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new IOException("group " + group + ": cannot fsync the Raft log directory"
          + " before flushing index " + logIndex, e));
    }
  }

  /** Ratis pauses the state machine before it reloads it after a snapshot installation. */
  @Override
  public void pause() {
    if (getLifeCycle().getCurrentState() == org.apache.ratis.util.LifeCycle.State.RUNNING) {
      getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSING);
      getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSED);
    }
  }

  @Override
  public void reinitialize() throws IOException {
    load(smStorage.loadLatestSnapshot());
    if (getLifeCycle().getCurrentState() == org.apache.ratis.util.LifeCycle.State.PAUSED) {
      getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.STARTING);
      getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.RUNNING);
    }
  }

  private Path installingDir() {
    return segmentDir.resolveSibling(segmentDir.getFileName() + ".installing");
  }

  private void load(SingleFileSnapshotInfo snapshot) throws IOException {
    core.closeStore(); // before its segment directory may be replaced below
    Path installing = installingDir();
    Path marker = installing.resolve(SnapshotTransfer.COMPLETE_MARKER);
    long receivedIndex = Files.exists(marker) ? SnapshotTransfer.receivedIndex(marker) : NO_SNAPSHOT_INDEX;
    if (receivedIndex != NO_SNAPSHOT_INDEX && snapshot != null && snapshot.getIndex() == receivedIndex) {
      // segments received from the leader replace ours (they are a deterministic prefix of the same log)
      SnapshotTransfer.deleteTree(segmentDir);
      Files.move(installing, segmentDir);
      io.tributary.common.DurableFiles.fsyncDirectory(segmentDir.toAbsolutePath().getParent());
      Files.delete(segmentDir.resolve(SnapshotTransfer.COMPLETE_MARKER));
      io.tributary.common.DurableFiles.fsyncDirectory(segmentDir);
      LOG.info("group {}: installed segments received with a snapshot", group);
    } else if (Files.exists(installing)) {
      // an interrupted download, or one this replica overtook: while it ran, Ratis kept applying
      // the entries this replica had and a snapshot of its own went past the received one
      if (receivedIndex != NO_SNAPSHOT_INDEX) {
        LOG.info("group {}: dropping segments received with snapshot index {}: the snapshot loaded is {}", group,
            receivedIndex, snapshot == null ? "none" : snapshot.getTermIndex());
      }
      SnapshotTransfer.deleteTree(installing);
    }
    if (snapshot == null) {
      core.load(null, "", NO_SNAPSHOT_INDEX, 0);
    } else {
      core.load(snapshot.getFile().getPath(), snapshot.getTermIndex().toString(), snapshot.getIndex(),
          previousSnapshotEnd(snapshot.getFile().getPath(), snapshot.getIndex()));
      setLastAppliedTermIndex(snapshot.getTermIndex());
    }
  }

  /**
   * Segment end of the newest intact metadata snapshot retained beside {@code loaded} with an
   * index below {@code loadedIndex}: where a fallback from a damaged {@code loaded} would start
   * re-applying. 0 when there is none (a fallback then re-applies the whole log from an empty
   * store), so segments are reclaimed only below an end two snapshots agree on.
   */
  static long previousSnapshotEnd(Path loaded, long loadedIndex) throws IOException {
    long bestIndex = -1;
    Path best = null;
    try (var files = Files.list(loaded.toAbsolutePath().getParent())) {
      for (Path p : files.toList()) {
        java.util.regex.Matcher m = SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(2)) < loadedIndex && Long.parseLong(m.group(2)) > bestIndex) {
          bestIndex = Long.parseLong(m.group(2));
          best = p;
        }
      }
    }
    if (best == null) {
      return 0;
    }
    try {
      SnapshotCodec.verify(best);
      return SnapshotCodec.segmentEnd(best);
    } catch (IOException e) {
      return 0; // a damaged previous snapshot is no fallback: keep every segment the log may rewrite
    }
  }

  /**
   * Brings an empty {@code s} to the state of the snapshot in {@code snapshotFile} (null: no
   * snapshot, the empty state): reads the metadata and truncates the segments to the end it
   * records, so re-applying the log after the snapshot's index rewrites exactly the bytes that
   * followed. Returns {@code s}. Package-private so the deterministic simulation recovers
   * replicas through this same code.
   *
   * @param snapshotName the snapshot's term and index, for messages
   */
  static GroupState recover(GroupState s, Path snapshotFile, String snapshotName) throws IOException {
    return ReplicaCore.recover(s, snapshotFile, snapshotName);
  }

  /**
   * Applies one committed entry, or stops this replica for good.
   *
   * <p>Fail-stop: apply is deterministic, so an exception here is never the client's fault (their
   * errors are outcomes): a failed write, a broken invariant, or a command this build does not
   * know. Ratis 3.3.0 does not stop a division whose {@code applyTransaction} fails: it logs the
   * failure and applies the next entry, which would leave this replica silently different from
   * the others (and answer later producer retries from state whose bytes never reached disk). So
   * the first failure is recorded, the applied index stays below the entry, every later entry is
   * refused without being looked at, no snapshot is taken past it, and {@link ReplicaHalt} ends
   * the node. A restart re-applies the log from the last snapshot.
   */
  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    ByteBuffer data = entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer();
    byte[] outcomes;
    try {
      outcomes = core.apply(entry.getTerm(), entry.getIndex(), data);
    } catch (ReplicaStoppedException e) {
      return CompletableFuture.failedFuture(e);
    }
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(outcomes)));
  }

  /** Configuration and no-op entries do not reach applyTransaction but advance the applied index. */
  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    if (core.failure() != null) {
      return; // a stopped replica's applied index stays below the entry it could not apply
    }
    super.notifyTermIndexUpdated(term, index);
    core.setApplied(index);
  }

  @Override
  public long takeSnapshot() throws IOException {
    ApplyFailure stopped = core.failure();
    if (stopped != null) {
      // the state in memory may be half-way through the failed entry: never persist it
      throw new IOException("no snapshot: " + stopped.describe());
    }
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return NO_SNAPSHOT_INDEX;
    }
    GroupState s = core.state();
    s.store.sync();
    s.trimIndexes(); // so the snapshot lists no record this replica no longer holds
    File file = smStorage.getSnapshotFile(last.getTerm(), last.getIndex());
    long end = s.store.end();
    MD5Hash md5 = SnapshotCodec.write(s, end, file.toPath());
    MD5FileUtil.saveMD5File(file, md5);
    // Ratis purges the log up to this snapshot once this returns: its files must survive a power loss
    io.tributary.common.DurableFiles.fsyncDirectory(file.toPath().toAbsolutePath().getParent());
    smStorage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    s.store.markSnapshotEnd(end);
    LOG.debug("group {}: snapshot at {}", group, last);
    return last.getIndex();
  }

  private static final long NO_SNAPSHOT_INDEX = -1;

  /**
   * The latest snapshot with the segment bytes it refers to, for a lagging replica, every record
   * verified ({@link io.tributary.storage.CorruptRecordException} if one is damaged); null if none.
   * Any thread but an event loop: it reads every byte it will send.
   */
  @Override
  public SnapshotTransfer.Export exportLatestSnapshot() throws IOException {
    return core.exportLatestSnapshot();
  }

  private SnapshotTransfer.Export exportSnapshot() throws IOException {
    SingleFileSnapshotInfo snap = smStorage.getLatestSnapshot();
    GroupState s = core.state();
    if (snap == null || s == null) {
      return null;
    }
    Path meta = snap.getFile().getPath();
    long end = SnapshotCodec.segmentEnd(meta);
    return SnapshotTransfer.export(snap.getTerm(), snap.getIndex(), meta, s.store.ranges(end));
  }

  /**
   * A follower behind the leader's purged log: fetch the leader's latest snapshot (metadata and
   * segments) over HTTP into a staging directory; Ratis then pauses this state machine and calls
   * {@link #reinitialize()}, which swaps the staged segments in and loads the snapshot.
   */
  @Override
  public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfo,
      TermIndex firstTermIndexInLog) {
    String leader = roleInfo.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8();
    return CompletableFuture.supplyAsync(() -> {
      if (snapshotSource == null) {
        throw new IllegalStateException("group " + group + ": no snapshot source configured");
      }
      Path installing = installingDir();
      Path staged = segmentDir.resolveSibling(segmentDir.getFileName() + ".snapshot-meta");
      try (java.io.InputStream in = snapshotSource.open(leader, group)) {
        if (in == null) {
          LOG.info("group {}: {} has no snapshot; catching up from its log", group, leader);
          return null;
        }
        long applied = core.appliedIndex();
        SnapshotTransfer.Received r = SnapshotTransfer.receive(in, installing, staged, applied);
        if (r == null) {
          // Ratis can ask a replica that is not behind the leader's snapshot (a stalled follower
          // nudged by GrpcTransport, or a leader whose newest snapshot is older than this replica's
          // state): installing it would move this replica back, and its log would then lack the
          // entries between the snapshot and what it applied (the log worker fails on the gap and
          // the division closes, seen in ClusterFaultTest). Its log already holds what it needs.
          LOG.warn("group {}: {}'s snapshot is not ahead of this replica's applied index {}: not installing it, "
              + "catching up from the log", group, leader, applied);
          return null;
        }
        File target = smStorage.getSnapshotFile(r.term(), r.index());
        io.tributary.common.DurableFiles.moveDurably(staged, target.toPath());
        MD5FileUtil.computeAndSaveMd5ForFile(target);
        io.tributary.common.DurableFiles.fsyncDirectory(target.toPath().toAbsolutePath().getParent());
        // WARN: rare and operationally significant (a replica lost data or fell far behind)
        LOG.warn("group {}: received snapshot {} from {} (first log entry there: {})", group,
            TermIndex.valueOf(r.term(), r.index()), leader, firstTermIndexInLog);
        return TermIndex.valueOf(r.term(), r.index());
      } catch (IOException e) {
        // Ratis logs only this exception's message, not its cause: the reason must be in it
        throw new java.io.UncheckedIOException("group " + group + ": snapshot download from " + leader + " failed: "
            + e.getMessage(), e);
      }
    }, runnable -> {
      Thread t = new Thread(runnable, "tributary-snapshot-install-g" + group);
      t.setDaemon(true);
      t.start();
    });
  }

  @Override
  public void close() throws IOException {
    core.closeStore();
    super.close();
  }
}
