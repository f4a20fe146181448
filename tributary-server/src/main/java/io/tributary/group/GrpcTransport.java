package io.tributary.group;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis's gRPC transport with one change in the leader's log appender, working around a Ratis
 * 3.3.0 bug that stalls a follower forever. Selected by class name as a user-defined Ratis
 * {@link RpcType} (see {@link RaftHost}); servers and clients otherwise behave exactly like
 * {@code SupportedRpcType.GRPC}.
 *
 * <p><b>The bug.</b> With install-snapshot notifications (Ratis's own snapshot transfer is off),
 * the leader's appender asks {@code shouldNotifyToInstallSnapshot()} before every send. It says
 * yes when the follower's next index equals the leader's log start index and the leader cannot
 * name the entry before it — neither in its log (purged) nor as its own latest snapshot. If the
 * follower's latest snapshot ends exactly there, the follower answers {@code ALREADY_INSTALLED}
 * with that snapshot index, the leader sets next index = snapshot index + 1 — the same index —
 * and asks again: notification, {@code ALREADY_INSTALLED}, notification, thousands a second,
 * while only heartbeats follow. No entry is ever sent and the replica never catches up. Ratis's
 * own {@code LogAppenderBase.newAppendEntriesRequest} already knows this case is fine: when
 * {@code nextIndex == follower snapshot index + 1} it sends entries without a previous entry (the
 * follower's snapshot holds only committed entries, so the leader's log continues it); only the
 * notification check ignores it.
 *
 * <p><b>How it arises here.</b> A follower snapshots when its applied index is the last entry of
 * a term (Ratis rolls a log segment at every term change, so a segment ends there); it is killed;
 * the new leader snapshots later and purges up to its own snapshot index, deleting that segment;
 * the follower restarts. Seen as a never-converging replica in {@code ClusterFaultTest}
 * (seed 8368266840065: group 0, n2 snapshot at 4739, leader n1's log starting at 4740 with its
 * snapshot at 4764).
 *
 * <p><b>The fix.</b> {@link Appender} does not notify in exactly that case: the follower already
 * reported (in an {@code ALREADY_INSTALLED} or {@code SNAPSHOT_INSTALLED} reply) a snapshot that
 * ends right before its next index, and the leader's log still holds that next index. The
 * appender then sends entries, which Ratis builds without a previous entry. Every other case goes
 * to Ratis unchanged. Upstream this is RATIS-2500 (apache/ratis#1567, merged after 3.3.0, same
 * reasoning); remove this class on upgrading to a release with it — {@code FollowerCatchUpTest}'s
 * Ratis-alone case then fails and says so.
 */
public final class GrpcTransport implements RpcType {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcTransport.class);

  /** Ratis instantiates the type from its class name (the value of {@code raft.rpc.type}). */
  public GrpcTransport() {}

  @Override
  public String name() {
    return GrpcTransport.class.getName();
  }

  @Override
  public RpcFactory newFactory(Parameters parameters) {
    return new Factory(parameters);
  }

  /** The gRPC factory, with {@link Appender} for log appenders. */
  static final class Factory extends GrpcFactory {
    Factory(Parameters parameters) {
      super(parameters);
    }

    @Override
    public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
      return new Appender(server, state, follower);
    }
  }

  /**
   * Ratis's gRPC appender, which sends entries instead of a snapshot notification to a follower
   * whose snapshot ends right before its next index. Runs on the appender's own Ratis thread.
   */
  static final class Appender extends GrpcLogAppender {
    /** The next index at which the notification was last skipped, so each case is logged once. */
    private long skippedAtNextIndex = RaftLog.INVALID_LOG_INDEX;

    Appender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
      super(server, state, follower);
    }

    @Override
    public TermIndex shouldNotifyToInstallSnapshot() {
      TermIndex firstAvailable = super.shouldNotifyToInstallSnapshot();
      FollowerInfo f = getFollower();
      if (firstAvailable == null
          || !followerSnapshotPrecedesNextIndex(f.getNextIndex(), f.getSnapshotIndex(), getRaftLog().getStartIndex())) {
        return firstAvailable;
      }
      if (skippedAtNextIndex != f.getNextIndex()) {
        skippedAtNextIndex = f.getNextIndex();
        // GrpcTransport.LOG, not the LOG this class inherits from GrpcLogAppender (Ratis logs at WARN here)
        GrpcTransport.LOG.info("{}: follower's snapshot ends at {}, right before its next index {} (leader log"
            + " starts at {}): sending entries instead of a snapshot notification", f.getName(),
            f.getSnapshotIndex(), f.getNextIndex(), getRaftLog().getStartIndex());
      }
      return null;
    }
  }

  /**
   * True when the follower needs no snapshot: it reported a snapshot ending right before its next
   * index, and the leader's log (starting at {@code leaderStartIndex}) holds that index. A
   * follower snapshot index of 0 is Ratis's initial value (nothing reported), never a match.
   */
  static boolean followerSnapshotPrecedesNextIndex(long nextIndex, long followerSnapshotIndex,
      long leaderStartIndex) {
    return followerSnapshotIndex > 0
        && nextIndex == followerSnapshotIndex + 1
        && leaderStartIndex != RaftLog.INVALID_LOG_INDEX
        && nextIndex >= leaderStartIndex;
  }
}
