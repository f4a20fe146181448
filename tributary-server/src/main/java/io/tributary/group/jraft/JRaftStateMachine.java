package io.tributary.group.jraft;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.entity.LeaderChangeContext;
import com.alipay.sofa.jraft.entity.RaftOutter.SnapshotMeta;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.error.RaftException;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import io.tributary.state.ReplicaCore;
import io.tributary.state.ReplicaStoppedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SOFAJRaft binding of one group's replica: hands committed entries to the engine-neutral
 * {@link ReplicaCore} (fail-stop apply through {@code GroupState}), writes and
 * loads snapshots through {@link SnapshotFiles}, and tracks leadership and term.
 *
 * <p>Threads: SOFAJRaft's FSM caller of the group (one thread per node of a group) calls every
 * {@code on*} method; it owns the replica's state. A snapshot it captured is written on the node's
 * snapshot writer thread. {@link #leaderReady}, {@link #term} and
 * {@link #lastSnapshotIndex} are volatile, read from any thread.
 *
 * <p>Fail-stop: an entry that cannot be applied is rolled back with
 * {@link Iterator#setErrorAndRollback}, which puts the node into its error state (it applies
 * nothing more, not even after a leader change), and {@link ReplicaCore} has halted the replica.
 */
final class JRaftStateMachine extends StateMachineAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(JRaftStateMachine.class);

  private final ReplicaCore core;
  private final SnapshotFiles snapshots;
  /** Writes prepared snapshots off the FSM caller (one thread per node). */
  private final java.util.concurrent.Executor snapshotWriter;
  /** Called after each applied batch with the applied index (the host triggers snapshots by entry count). */
  private final LongConsumer afterApply;
  /** The term this node leads in once its first entry of the term committed; -1 when it does not lead. */
  private volatile long leaderTerm = -1;
  /** The latest term this node saw (as leader or follower). */
  private volatile long term;
  private volatile long lastSnapshotIndex;
  /** Set when SOFAJRaft reported the node's state machine or log failed; the node serves nothing more. */
  private volatile String engineError;

  JRaftStateMachine(ReplicaCore core, SnapshotFiles snapshots, java.util.concurrent.Executor snapshotWriter,
      LongConsumer afterApply) {
    this.core = core;
    this.snapshotWriter = snapshotWriter;
    this.snapshots = snapshots;
    this.afterApply = afterApply;
  }

  ReplicaCore core() {
    return core;
  }

  /** True once this node leads and its own first entry of the term committed (writes may go through it). */
  boolean leaderReady() {
    return leaderTerm >= 0;
  }

  long term() {
    return term;
  }

  long lastSnapshotIndex() {
    return lastSnapshotIndex;
  }

  /** What SOFAJRaft reported when it stopped this node's group, or null. */
  String engineError() {
    return engineError;
  }

  @Override
  public void onApply(Iterator iter) {
    long last = -1;
    while (iter.hasNext()) {
      long index = iter.getIndex();
      Closure done = iter.done();
      byte[] outcomes;
      try {
        outcomes = core.apply(iter.getTerm(), index, entryData(iter.getData()));
      } catch (ReplicaStoppedException e) {
        // nothing of this entry or any later one is applied here: SOFAJRaft stops the node
        iter.setErrorAndRollback(1, new Status(RaftError.ESTATEMACHINE, "%s", e.getMessage()));
        return;
      }
      if (done instanceof SubmitClosure s) {
        s.applied(index, outcomes); // on the leader that proposed it: complete the batch's futures
      } else if (done != null) {
        done.run(Status.OK());
      }
      last = index;
      iter.next();
    }
    if (last >= 0) {
      afterApply.accept(last);
    }
  }

  /**
   * The whole entry, whatever happened to the buffer's position: on the leader SOFAJRaft hands back
   * the very buffer given to {@code Node#apply}, which its replicator has read (and advanced) by
   * then (seen: apply failed decoding an empty remainder). Never written, so a view from 0 is safe.
   */
  private static ByteBuffer entryData(ByteBuffer data) {
    return data == null ? ByteBuffer.allocate(0) : data.duplicate().rewind();
  }

  /**
   * Captures the state here (FSM caller: the stream table is encoded, record indexes are held as
   * immutable views) and writes it on the snapshot writer: fsyncing segments, encoding the indexes
   * (16 bytes per record still on disk) and the metadata file no longer stall applying (a group
   * with a million records paused for the whole write). SOFAJRaft takes the snapshot as of the
   * index it called this at, and completes it, purging the log below, only when {@code done} runs.
   */
  @Override
  public void onSnapshotSave(SnapshotWriter writer, Closure done) {
    long index = core.appliedIndex();
    ReplicaCore.PreparedSnapshot prepared;
    try {
      prepared = core.prepareSnapshot();
    } catch (IOException | RuntimeException e) {
      failed(done, e);
      return;
    }
    try {
      snapshotWriter.execute(() -> {
        try {
          snapshots.write(prepared, Path.of(writer.getPath()), writer::addFile);
          lastSnapshotIndex = Math.max(lastSnapshotIndex, index);
          done.run(Status.OK());
        } catch (IOException | RuntimeException e) {
          failed(done, e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      failed(done, e); // the node is stopping
    }
  }

  private void failed(Closure done, Exception e) {
    LOG.warn("group {}: snapshot failed: {}", core.group(), e.toString());
    done.run(new Status(RaftError.EIO, "group %d: snapshot failed: %s", core.group(), e.toString()));
  }

  @Override
  public boolean onSnapshotLoad(SnapshotReader reader) {
    SnapshotMeta meta = reader.load();
    if (meta == null) {
      LOG.error("group {}: snapshot in {} has no metadata", core.group(), reader.getPath());
      return false;
    }
    try {
      snapshots.load(core, Path.of(reader.getPath()), meta.getLastIncludedTerm(), meta.getLastIncludedIndex());
      lastSnapshotIndex = meta.getLastIncludedIndex();
      return true;
    } catch (IOException | RuntimeException e) {
      // SOFAJRaft then stops the node: serving from a state that did not load would lose data
      LOG.error("group {}: cannot load snapshot {}: {}", core.group(), reader.getPath(), e.toString(), e);
      return false;
    }
  }

  @Override
  public void onLeaderStart(long newTerm) {
    term = newTerm;
    leaderTerm = newTerm;
    LOG.info("group {}: leading in term {}", core.group(), newTerm);
  }

  @Override
  public void onLeaderStop(Status status) {
    leaderTerm = -1;
  }

  @Override
  public void onStartFollowing(LeaderChangeContext ctx) {
    term = ctx.getTerm();
  }

  @Override
  public void onError(RaftException e) {
    engineError = "group " + core.group() + ": SOFAJRaft stopped this node's replica: " + e.getStatus();
    LOG.error(engineError, e);
  }
}
