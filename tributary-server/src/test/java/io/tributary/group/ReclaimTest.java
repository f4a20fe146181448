package io.tributary.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import io.tributary.state.Command;
import io.tributary.state.GroupState;
import io.tributary.state.TestGroups;
import io.tributary.storage.SegmentStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a reclaim pass deletes the garbage segments a group's snapshots allow, and when only
 * snapshots stand in the way asks for them (a snapshot, and a Nop so the next one has a new
 * index) instead of waiting for the group's next snapshot interval; it asks for nothing when the
 * oldest segment holds a live record.
 *
 * <p>Method: one group on 1 MiB segments, driven through {@link TestGroups#apply}; the pass runs
 * with time passed in and an {@link Reclaim.Upkeep} that records requests and, for a snapshot,
 * marks the store's snapshot end as the state machine does after writing one.
 */
class ReclaimTest {
  @TempDir
  Path dir;

  private static void apply(GroupState g, Command c) {
    TestGroups.apply(g, 1, c);
  }

  private static void write(GroupState g, StreamKey k, int records) {
    apply(g, new Command.Create(k, "application/octet-stream", -1, null, -1, false, new byte[0], 0, null));
    for (int i = 0; i < records; i++) {
      apply(g, new Command.Append(k, "application/octet-stream", new byte[1000], 0, false, null, null));
    }
  }

  @Test
  void asksForTheSnapshotsItNeedsThenDeletes() {
    GroupState g = TestGroups.on(new SegmentStore(dir.resolve("g"), 1 << 20, 0));
    StreamKey doomed = new StreamKey("default", "doomed");
    StreamKey live = new StreamKey("default", "live");
    write(g, doomed, 2500);
    write(g, live, 1500);
    List<String> asked = new ArrayList<>();
    Reclaim reclaim = new Reclaim(1, i -> g, 1000, new GroupMetrics(), new Reclaim.Upkeep() {
      @Override
      public void requestSnapshot(int group) {
        asked.add("snapshot");
        g.store().sync();
        g.store().markSnapshotEnd(g.store().end());
      }

      @Override
      public void commitNop(int group) {
        asked.add("nop");
        apply(g, new Command.Nop(new StreamKey("", "")));
      }
    });

    assertThat(reclaim.pass(0)).as("the oldest segment holds a live stream's records").isZero();
    assertThat(asked).isEmpty();

    apply(g, new Command.Delete(doomed));
    assertThat(reclaim.pass(1)).as("no snapshot lies past the garbage yet").isZero();
    assertThat(asked).containsExactly("snapshot", "nop");
    assertThat(reclaim.pass(2)).as("asks at most once a second").isZero();
    assertThat(asked).hasSize(2);
    assertThat(reclaim.pass(2_000_000_000L)).as("the previous snapshot still ends before the garbage").isZero();
    assertThat(asked).containsExactly("snapshot", "nop", "snapshot", "nop");
    long dropped = reclaim.pass(2_000_000_001L);
    assertThat(dropped).as("two snapshots lie past it now: the two segments of doomed alone").isGreaterThan(2_000_000L);
    assertThat(g.store().firstPosition()).isLessThanOrEqualTo(g.view(live).index().positions()[0]);
    assertThat(reclaim.pass(4_000_000_000L)).isZero();
    assertThat(asked).as("nothing more to ask for").hasSize(4);
    reclaim.close();
  }
}
