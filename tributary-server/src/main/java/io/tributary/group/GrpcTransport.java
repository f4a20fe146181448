package io.tributary.group;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
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
 * reasoning); remove this part on upgrading to a release with it — {@code FollowerCatchUpTest}'s
 * Ratis-alone case then fails and says so.
 *
 * <p><b>The second stall.</b> A follower told to install a snapshot downloads it asynchronously
 * (answering {@code IN_PROGRESS}) and, while it does, refuses every append. When the download
 * ends, Ratis only records the result; the follower reloads its state machine and accepts entries
 * again only when the <em>next</em> notification arrives. If none comes, because the leader
 * changed to one whose log still holds the follower's next index, or because an {@code
 * INCONSISTENCY} reply moved the leader's view of the follower past its log start, the leader
 * sends entries, the follower refuses them, and the replica never catches up (seen in {@code
 * ClusterFaultTest}: a restarted node's group stuck at its commit index, flapping to candidate).
 * {@link Appender} therefore also notifies a follower that answers but whose match index has not
 * moved for several election timeouts while the leader has entries for it
 * ({@link StalledFollowerWatch}); the notification lets a finished download be reloaded and is
 * answered {@code IN_PROGRESS} by one still running. The notification names the leader's log next
 * index as the first available entry: Ratis asserts that it is at least the index of the
 * notification the follower is working on, which came from some leader's log start, and no
 * committed log start is past the current leader's next index. Covered by {@code
 * FollowerCatchUpTest}'s third story, which also fails with Ratis alone.
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
      return new Appender(server, state, follower, System::nanoTime);
    }
  }

  /**
   * The watch for one follower: it may answer without progress for 6 election timeouts (at least
   * 6 s) before it is nudged; silent for 3 election timeouts (at least 3 s), it is not answering.
   * The appender looks right before it sends, when the last reply can be a heartbeat interval old
   * or more (seconds on a starved box: with 2 s, ClusterFaultTest saw a stalled follower nudged
   * only after 35 s), hence the margin.
   */
  static StalledFollowerWatch stallWatch(RaftServer.Division server) {
    long electionMax = RaftServerConfigKeys.Rpc.timeoutMax(server.getRaftServer().getProperties()).toLong(TimeUnit.NANOSECONDS);
    return new StalledFollowerWatch(Math.max(TimeUnit.SECONDS.toNanos(6), 6 * electionMax),
        Math.max(TimeUnit.SECONDS.toNanos(3), 3 * electionMax));
  }

  /**
   * Ratis's gRPC appender, which sends entries instead of a snapshot notification to a follower
   * whose snapshot ends right before its next index, and a notification to a follower stalled
   * with a finished download. Runs on the appender's own Ratis thread.
   */
  static final class Appender extends GrpcLogAppender {
    private final LongSupplier nanoClock;
    private final StalledFollowerWatch stall;
    /** The next index at which the notification was last skipped, so each case is logged once. */
    private long skippedAtNextIndex = RaftLog.INVALID_LOG_INDEX;

    Appender(RaftServer.Division server, LeaderState state, FollowerInfo follower, LongSupplier nanoClock) {
      super(server, state, follower);
      this.nanoClock = nanoClock;
      this.stall = stallWatch(server);
    }

    @Override
    public TermIndex shouldNotifyToInstallSnapshot() {
      TermIndex firstAvailable = super.shouldNotifyToInstallSnapshot();
      FollowerInfo f = getFollower();
      long leaderNext = getRaftLog().getNextIndex();
      boolean stalled = stall.shouldNudge(nanoClock.getAsLong(), f.getMatchIndex(), leaderNext,
          f.getLastRpcResponseTime().elapsedTime().toLong(TimeUnit.NANOSECONDS));
      if (firstAvailable != null
          && !followerSnapshotPrecedesNextIndex(f.getNextIndex(), f.getSnapshotIndex(), getRaftLog().getStartIndex())) {
        return firstAvailable;
      }
      if (firstAvailable != null && skippedAtNextIndex != f.getNextIndex()) {
        skippedAtNextIndex = f.getNextIndex();
        // GrpcTransport.LOG, not the LOG this class inherits from GrpcLogAppender (Ratis logs at WARN here)
        GrpcTransport.LOG.info("{}: follower's snapshot ends at {}, right before its next index {} (leader log"
            + " starts at {}): sending entries instead of a snapshot notification", f.getName(),
            f.getSnapshotIndex(), f.getNextIndex(), getRaftLog().getStartIndex());
      }
      if (!stalled) {
        return null;
      }
      // WARN: rare, and the follower may install a snapshot because of it
      GrpcTransport.LOG.warn("{}: follower answers but its match index {} has not moved while the leader's log"
          + " ends at {}: notifying it to install a snapshot (finishes a stalled installation)", f.getName(),
          f.getMatchIndex(), leaderNext - 1);
      return TermIndex.valueOf(getServer().getInfo().getCurrentTerm(), leaderNext);
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
