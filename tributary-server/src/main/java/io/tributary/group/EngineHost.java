package io.tributary.group;

import java.io.IOException;

/**
 * A consensus engine adapter as the node wires it: {@link Replication} for the layers above, plus
 * its lifecycle and what the node's metrics read. One per node: {@code group.jraft.JRaftHost}
 * (SOFAJRaft).
 */
public interface EngineHost extends Replication, AutoCloseable {
  /** Starts the engine's server and groups; on the starting thread. */
  void start() throws IOException;

  /** Per-group counters and gauges this adapter keeps. */
  GroupMetrics metrics();

  /**
   * Takes a snapshot of group {@code g} on this replica now and waits for it. Blocks: never call it
   * on an event loop or an engine thread. The cold tier and reclaim use it: segments go only below
   * the latest snapshot's end.
   */
  void requestSnapshot(int g) throws IOException;

  /** Group {@code g}'s batcher (queued appends and submitted entries, for metrics). */
  AppendBatcher batcher(int g);

  @Override
  void close() throws IOException;
}
