package io.tributary.group.jraft;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.core.State;
import com.alipay.sofa.jraft.entity.PeerId;
import io.tributary.common.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A graceful stop's first step: hand every group this node leads to a caught-up peer before the
 * node shuts down, so the group has a new leader within a heartbeat round or two instead of after
 * an election timeout (the followers would otherwise wait that long to notice the leader is
 * gone, and writes to those groups get 503 meanwhile).
 *
 * <p>{@code Node#transferLeadershipTo} stops the leader taking writes, waits until the target's
 * log matches its own, then tells the target to start an election at once ({@code TimeoutNow});
 * the target wins it (its log is the longest) and this node steps down when it sees the higher
 * term. The target: with every peer answering, {@link PeerId#ANY_PEER} (SOFAJRaft picks the peer
 * whose replicator reached furthest); otherwise the one peer that answers (with a peer down,
 * SOFAJRaft could pick the dead one: its replicator's position does not tell). Each group is
 * waited for until another peer is known as its leader, all groups together bounded by one
 * deadline: past it the node stops anyway and the group elects a leader the slow way, which is
 * no worse than a stop without hand-off. A transfer that does not finish reverts by itself
 * (SOFAJRaft gives up after an election timeout and leads on).
 *
 * <p>Threads: the closing thread (the node's shutdown hook), which owns nothing else by then.
 */
final class LeadershipHandOff {
  private static final Logger LOG = LoggerFactory.getLogger(LeadershipHandOff.class);
  private static final long POLL_MILLIS = 5;

  private LeadershipHandOff() {}

  /** Hands over every group {@code nodes} leads; returns how many had a new leader by the deadline. */
  static int run(List<Node> nodes, PeerId self, long deadlineMillis, Clock clock) throws InterruptedException {
    long start = clock.nanoTime();
    long end = start + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
    List<Node> handing = new ArrayList<>();
    for (Node n : nodes) {
      if (n == null || !n.isLeader(false)) {
        continue;
      }
      PeerId target = target(n, self);
      if (target == null) {
        LOG.info("{}: no peer answers, not handing over leadership", n.getGroupId());
        continue;
      }
      Status st = n.transferLeadershipTo(target);
      if (st.isOk()) {
        handing.add(n);
      } else {
        LOG.info("{}: leadership hand-off to {} refused: {}", n.getGroupId(), target, st);
      }
    }
    int moved = 0;
    for (Node n : handing) {
      while (!handedOver(n, self) && clock.nanoTime() < end) {
        Thread.sleep(POLL_MILLIS);
      }
      if (handedOver(n, self)) {
        moved++;
      }
    }
    if (!handing.isEmpty()) {
      LOG.info("graceful stop: {} of {} groups led here have a new leader after {} ms (deadline {} ms)", moved,
          handing.size(), TimeUnit.NANOSECONDS.toMillis(clock.nanoTime() - start), deadlineMillis);
    }
    return moved;
  }

  private static PeerId target(Node n, PeerId self) {
    List<PeerId> alive = new ArrayList<>(n.listAlivePeers());
    alive.remove(self);
    int others = n.listPeers().size() - 1;
    if (alive.isEmpty()) {
      return null;
    }
    return alive.size() == others ? PeerId.ANY_PEER : alive.get(0);
  }

  /** This node stepped down and knows another peer as the group's leader. */
  private static boolean handedOver(Node n, PeerId self) {
    State s = n.getNodeState();
    PeerId leader = n.getLeaderId();
    return s != State.STATE_LEADER && s != State.STATE_TRANSFERRING && leader != null && !leader.isEmpty()
        && !leader.equals(self);
  }
}
