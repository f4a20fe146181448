package io.tributary.state;

import io.tributary.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.util.List;

/** A group's state for tests outside this package: built on a store, driven by encoded entries as apply is. */
public final class TestGroups {
  private TestGroups() {}

  public static GroupState on(SegmentStore store) {
    return new GroupState(0, store, new WatchRegistry());
  }

  /** Applies {@code c} as one entry stamped {@code nowMillis}; returns its outcome. */
  public static Outcome apply(GroupState g, long nowMillis, Command c) {
    return g.apply(CommandCodec.decode(ByteBuffer.wrap(CommandCodec.encode(nowMillis, List.of(c), 64)))).get(0);
  }
}
