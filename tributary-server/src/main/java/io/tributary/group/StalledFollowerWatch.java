package io.tributary.group;

/**
 * Decides when a leader's appender sends a snapshot notification to a follower that answers but
 * makes no progress, working around a second Ratis 3.3.0 stall (see {@link GrpcTransport}). One
 * instance per appender; runs on that appender's Ratis thread only.
 *
 * <p>A follower is <em>stalled</em> when the leader has entries it lacks and it has kept answering
 * for {@code stallNanos} without its match index moving. Time in which it did not answer (down,
 * restarting) does not count: a follower that just came back gets the full {@code stallNanos} to
 * show progress. A stalled follower is nudged once, then again
 * every {@code stallNanos} while the stall lasts. A nudge of a follower that was merely slow costs a
 * snapshot installation it did not need; it never loses or reorders data, which is why the
 * threshold errs on the long side (several election timeouts).
 */
final class StalledFollowerWatch {
  private final long stallNanos;
  private long matchIndex = Long.MIN_VALUE;
  private long unchangedSinceNanos;
  private boolean nudged;
  private long nudgedAtNanos;

  /** A follower silent for longer than this is not answering (it answers every heartbeat when up). */
  private final long silentNanos;

  StalledFollowerWatch(long stallNanos, long silentNanos) {
    if (stallNanos <= 0 || silentNanos <= 0) {
      throw new IllegalArgumentException("stallNanos and silentNanos must be positive: " + stallNanos + ", " + silentNanos);
    }
    this.stallNanos = stallNanos;
    this.silentNanos = silentNanos;
  }

  /**
   * Called before each send. True when the follower should get a snapshot notification now.
   *
   * @param followerMatchIndex the leader's view of the follower's match index
   * @param leaderNextIndex the leader's log next index
   * @param nanosSinceFollowerAnswered time since the follower's last reply of any kind
   */
  boolean shouldNudge(long nowNanos, long followerMatchIndex, long leaderNextIndex, long nanosSinceFollowerAnswered) {
    if (followerMatchIndex != matchIndex || followerMatchIndex + 1 >= leaderNextIndex
        || nanosSinceFollowerAnswered > silentNanos) {
      matchIndex = followerMatchIndex;
      unchangedSinceNanos = nowNanos;
      nudged = false;
      return false;
    }
    if (nowNanos - unchangedSinceNanos < stallNanos) {
      return false;
    }
    if (nudged && nowNanos - nudgedAtNanos < stallNanos) {
      return false;
    }
    nudged = true;
    nudgedAtNanos = nowNanos;
    return true;
  }
}
