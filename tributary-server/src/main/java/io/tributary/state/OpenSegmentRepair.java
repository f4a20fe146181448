package io.tributary.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before Ratis opens a group's log: deletes an open log segment whose last entry lies below the
 * state machine's latest snapshot, working around a Ratis 3.3.0 bug that stalls a follower.
 *
 * <p><b>How the log falls behind the snapshot.</b> A follower behind the leader's purged log
 * downloads the leader's snapshot ({@link StreamStateMachine#notifyInstallSnapshotFromLeader});
 * once the download completes it is the state machine's latest snapshot. Ratis resets the log for
 * it (closes the open segment, purges up to the snapshot) only when the leader's next notification
 * arrives, a heartbeat or more later. A node killed in between restarts with a snapshot at index
 * S and a log that ends below S.
 *
 * <p><b>The bug.</b> On open, Ratis 3.3.0 sees a log that ends below the snapshot and purges the
 * closed segments, but keeps the open one. The leader then sends entries from S + 1; the first
 * append to the open segment fails ("gap between start index … and first entry to append …"),
 * and every retry fails the same way, until the node restarts again. The follower never catches
 * up.
 *
 * <p><b>The fix.</b> Every entry in such a segment is at or below the snapshot, which holds only
 * committed entries: the segment carries nothing this replica needs, and dropping it is what
 * Ratis's own reset would have done. With it gone the log is empty, Ratis resumes at S + 1, and
 * the leader's entries append. A segment that reaches S or beyond is left alone (its entries
 * after S may be acknowledged ones). Remove this class once Ratis drops the open segment itself
 * ({@code io.tributary.group.FollowerCatchUpTest} shows whether it does).
 *
 * <p>Threads: called from {@link StreamStateMachine#initialize}, on the thread that starts the
 * group, before Ratis reads the log.
 */
public final class OpenSegmentRepair {
  private static final Logger LOG = LoggerFactory.getLogger(OpenSegmentRepair.class);
  /** Ratis names its open segment {@code log_inprogress_<first index>}. */
  private static final String OPEN_SEGMENT_PREFIX = "log_inprogress_";

  private OpenSegmentRepair() {}

  /**
   * Deletes the open segment of {@code storage} if its last entry is below
   * {@code snapshotIndex}; returns whether it did. {@code entryBytesMax} is the largest entry
   * Ratis accepts (its {@code raft.server.log.appender.buffer.byte-limit}), needed to read the
   * segment.
   */
  public static boolean dropOpenSegmentBelowSnapshot(RaftStorage storage, SizeInBytes entryBytesMax,
      long snapshotIndex, String who) throws IOException {
    if (snapshotIndex < 0) {
      return false;
    }
    boolean dropped = false;
    for (LogSegmentPath segment : LogSegmentPath.getLogSegmentPaths(storage)) {
      Path file = segment.getPath();
      if (!file.getFileName().toString().startsWith(OPEN_SEGMENT_PREFIX)) {
        continue;
      }
      long[] last = {-1};
      int entries = LogSegment.readSegmentFile(file.toFile(), segment.getStartEnd(), entryBytesMax,
          storage.getLogCorruptionPolicy(), null, e -> last[0] = e.getIndex());
      if (entries > 0 && last[0] < snapshotIndex) {
        Files.delete(file);
        dropped = true;
        // WARN: rare, and the one trace of a snapshot installation cut short by a crash
        LOG.warn("{}: deleted open Raft log segment {} ({} entries, last index {}): the state machine's snapshot"
            + " at {} covers it (installation interrupted before Ratis reset its log)", who, file.getFileName(),
            entries, last[0], snapshotIndex);
      }
    }
    return dropped;
  }
}
