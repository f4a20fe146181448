package io.tributary.group;

import io.tributary.common.StreamKey;
import io.tributary.state.Command;
import io.tributary.state.Outcome;
import io.tributary.state.Replica;
import io.tributary.storage.CorruptRecordException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the product needs from consensus, for the layers above {@code group}: submit commands to a
 * group (batched into entries, on the local leader or forwarded to the leader), confirm that the
 * local replica is current (read barrier), leadership and status, readiness, the cluster's feature
 * level, and the local replicas' read side. An engine adapter implements it ({@code group.jraft.JRaftHost}
 * for SOFAJRaft); every engine workaround stays inside the adapter. Thread-safe: any thread.
 */
public interface Replication {
  /** The registry group: buckets and the nodes' feature levels live in its state. */
  int REGISTRY_GROUP = 0;

  int groupCount();

  /** The local replica of group {@code group}. */
  Replica replica(int group);

  /** The local replica of the group {@code key} is placed in. */
  default Replica replica(StreamKey key) {
    return replica(key.groupIndex(groupCount()));
  }

  /**
   * Submits {@code command} to the group: it joins the next entry (no batching window when the
   * group is idle) and completes with its outcome once applied here or on the leader. Fails with
   * {@link io.tributary.common.UnavailableException} when the group cannot take it or the outcome
   * is unknown (retry with the same producer headers).
   */
  CompletableFuture<Outcome> submit(int group, Command command, int bytes);

  /** Completes when the local replica reflects every write acknowledged anywhere before the call. */
  CompletableFuture<Void> readBarrier(int group);

  /** True when this node leads the group and may submit to it directly. */
  boolean leads(int group);

  /** Role, leader, term, commit and applied index, queued appends of one group here. */
  GroupStatus status(int group);

  /** Why this node cannot serve every group now; empty when it can. No I/O. */
  List<String> notReadyReasons();

  /** The entry format every voter can apply ({@link io.tributary.state.FeatureLevel}). */
  int clusterFeatureLevel();

  /** A read found a damaged record; true while a repair of it runs (reads answer 503 meanwhile). */
  boolean reportDamage(int group, CorruptRecordException e);
}
