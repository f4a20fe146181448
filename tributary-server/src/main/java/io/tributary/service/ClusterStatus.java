package io.tributary.service;

import io.tributary.config.TributaryConfig;
import io.tributary.group.Replication;
import java.util.ArrayList;
import java.util.List;

/** Read-only cluster inspection for /admin: peers and per-group Raft status. Thread-safe. */
public final class ClusterStatus {
  private final Replication host;
  private final TributaryConfig config;

  public ClusterStatus(Replication host, TributaryConfig config) {
    this.host = host;
    this.config = config;
  }

  /** One group as seen by this node. {@code lag} = commit index − applied index here. */
  public record Group(int group, String role, String leader, long term, long commitIndex, long appliedIndex, long lag,
      int pendingAppends, int streams) {}

  /** One configured voter. */
  public record Peer(String id, String address) {}

  public String nodeId() {
    return config.nodeId();
  }

  public List<Peer> peers() {
    List<Peer> out = new ArrayList<>();
    for (TributaryConfig.Peer p : config.peers()) {
      out.add(new Peer(p.id(), p.host() + ":" + p.peerPort()));
    }
    return out;
  }

  public List<Group> groups() {
    List<Group> out = new ArrayList<>();
    for (int g = 0; g < host.groupCount(); g++) {
      io.tributary.group.GroupStatus s = host.status(g);
      var state = host.replica(g).state();
      out.add(new Group(g, s.role(), s.leaderId(), s.term(), s.commitIndex(), s.appliedIndex(),
          Math.max(0, s.commitIndex() - s.appliedIndex()), s.pendingAppends(), state == null ? 0 : state.streamCount()));
    }
    return out;
  }
}
