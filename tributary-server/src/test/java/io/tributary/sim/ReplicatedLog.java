package io.tributary.sim;

import io.tributary.state.Command;
import java.util.ArrayList;
import java.util.List;

/**
 * Raft as the state machine sees it, not Raft itself: one history of entries, how much of it
 * each replica holds durably ({@code match}), the commit index and the leader. What it keeps of
 * Raft's guarantees:
 * <ul>
 *   <li>an entry commits once a majority holds it, counted only for entries of the current term
 *       (earlier ones commit with them); a committed entry is never lost or changed;
 *   <li>a leader is elected by a majority of live replicas, each voting for a candidate whose log
 *       is at least as long as its own; so the leader holds every committed entry;
 *   <li>an election drops every entry past the new leader's log: entries the old leader appended
 *       but had not committed may be lost, or may survive and commit in the new term;
 *   <li>a new leader starts its term with a no-op entry (Ratis's; it reaches the state machine
 *       only as an applied index, never through apply).
 * </ul>
 * Replicas' logs are prefixes of the one history (a replica that held dropped entries forgets
 * them at the election rather than when the new leader overwrites them: the same for apply,
 * which never sees uncommitted entries). Not modelled: log purging and snapshot installation,
 * message loss between leader and followers other than delay, membership changes. One thread.
 */
final class ReplicatedLog {
  /** One entry; {@code data} null for a leader's no-op, else an encoded batch and its decoded commands. */
  record Entry(long term, byte[] data, List<Command> commands) {}

  static final int REPLICAS = 3;
  private static final int MAJORITY = REPLICAS / 2 + 1;

  private final List<Entry> entries = new ArrayList<>();
  private final long[] match = new long[REPLICAS];
  private long commitIndex;
  private long term;
  private int leader = -1;

  long lastIndex() {
    return entries.size();
  }

  long commitIndex() {
    return commitIndex;
  }

  long term() {
    return term;
  }

  /** The leader's replica number, or -1 while there is none. */
  int leader() {
    return leader;
  }

  long match(int replica) {
    return match[replica];
  }

  Entry entry(long index) {
    return entries.get((int) (index - 1));
  }

  /** The leader appends (and durably holds) an entry; returns its index. */
  long append(byte[] data, List<Command> commands) {
    check(leader >= 0, "append without a leader");
    entries.add(new Entry(term, data, commands));
    match[leader] = entries.size();
    advanceCommit();
    return entries.size();
  }

  /** A follower received and durably holds the leader's log up to {@code upTo}. */
  void replicate(int follower, long upTo) {
    check(leader >= 0 && follower != leader && upTo <= entries.size(), "bad replication");
    match[follower] = Math.max(match[follower], upTo);
    advanceCommit();
  }

  /** Whether {@code candidate} can win a vote among {@code live} replicas (true for alive). */
  boolean electable(int candidate, boolean[] live) {
    if (!live[candidate]) {
      return false;
    }
    int votes = 0;
    for (int r = 0; r < REPLICAS; r++) {
      if (live[r] && match[r] <= match[candidate]) {
        votes++;
      }
    }
    return votes >= MAJORITY;
  }

  /** {@code candidate} won a vote: a new term, entries past its log dropped (returns how many), its no-op appended. */
  long elect(int candidate) {
    long keep = match[candidate];
    check(keep >= commitIndex, "elected replica " + candidate + " lacks committed entries (log " + keep
        + ", commit " + commitIndex + ")");
    long dropped = entries.size() - keep;
    while (entries.size() > keep) {
      entries.removeLast();
    }
    for (int r = 0; r < REPLICAS; r++) {
      match[r] = Math.min(match[r], keep);
    }
    term++;
    leader = candidate;
    append(null, List.of());
    return dropped;
  }

  /** The leader crashed or stepped down; nothing commits until the next election. */
  void loseLeader() {
    leader = -1;
  }

  private void advanceCommit() {
    for (long i = entries.size(); i > commitIndex; i--) {
      if (entry(i).term() != term) {
        break; // Raft counts replicas only for entries of the current term
      }
      int holders = 0;
      for (long m : match) {
        if (m >= i) {
          holders++;
        }
      }
      if (holders >= MAJORITY) {
        commitIndex = i;
        return;
      }
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException("log model: " + message);
    }
  }
}
