package io.tributary.state;

import io.tributary.common.StreamKey;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * The read side of this node's replica of one group, whatever consensus engine feeds it: the
 * published state and its views, the wake-ups fired after apply, how far it applied, whether it
 * stopped, and its latest snapshot for a lagging peer. Everything here is safe on any thread
 * (published views, concurrent registries); only the engine's apply thread changes the state.
 */
public interface Replica {
  int group();

  /** The current state; replaced when a snapshot is (re)loaded, so read it once per operation. */
  GroupState state();

  /** Wake-ups fired after each applied entry for the streams it changed. */
  WatchRegistry watches();

  /** Wake-ups fired when a stream's cold ranges grow. */
  WatchRegistry coldWatches();

  /** Highest applied log index. */
  long appliedIndex();

  /** Completes once this replica has applied {@code index}. */
  CompletableFuture<Void> awaitApplied(long index);

  /** The entry this replica stopped at (fail-stop), or null. */
  ApplyFailure failure();

  /** The published view of the stream at {@code key}, or null. */
  default StreamView view(StreamKey key) {
    GroupState s = state();
    return s == null ? null : s.view(key);
  }

  /** The published view of stream {@code streamId}, or null. */
  default StreamView viewById(long streamId) {
    GroupState s = state();
    return s == null ? null : s.viewById(streamId);
  }
}
