package io.tributary.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.common.StreamKey;
import io.tributary.storage.SegmentStore;
import io.tributary.storage.StorageException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: an entry whose apply fails leaves none of its bytes or views visible: no new stream view,
 * no tail, no published segment end, no woken watcher. That is what lets the replica stop on the
 * failure (fail-stop) without ever having served state whose bytes did not reach the segment
 * file. (A stream the failed entry removed may already be gone from the key map: the removal
 * committed, and no bytes are involved.)
 *
 * <p>Method: a {@link GroupState} whose apply of any command on stream {@code bad} fails as a
 * disk error would ({@link ApplyFaults}); entries that mix commands on good streams with one on
 * {@code bad} are applied, and the published views and store end are compared with what they
 * were before the entry.
 */
class FailStopApplyTest {
  private static final StreamKey GOOD = new StreamKey("default", "good");
  private static final StreamKey FRESH = new StreamKey("default", "fresh");
  private static final StreamKey BAD = new StreamKey("default", "bad");
  @TempDir
  Path dir;

  private static List<Outcome> apply(GroupState g, long now, Command... cs) {
    byte[] entry = CommandCodec.encode(now, List.of(cs), 64);
    return g.apply(CommandCodec.decode(ByteBuffer.wrap(entry)));
  }

  private static Command.Create create(StreamKey k) {
    return new Command.Create(k, "text/plain", -1, null, -1, false, new byte[0], 0, null);
  }

  private static Command.Append append(StreamKey k, String body, long seq) {
    return new Command.Append(k, "text/plain", body.getBytes(), 0, false, null, new Command.Producer("p", 0, seq));
  }

  @Test
  void aFailedEntryPublishesNothingOfItself() {
    GroupState g = new GroupState(0, new SegmentStore(dir.resolve("g"), 1 << 20, 1 << 20), new WatchRegistry(),
        new WatchRegistry(), ApplyFaults.failing(BAD.stream()));
    apply(g, 1, create(GOOD), append(GOOD, "one", 0));
    StreamView before = g.view(GOOD);
    long endBefore = g.store().publishedEnd();
    AtomicInteger wakes = new AtomicInteger();
    g.watches.register(before.streamId(), wakes::incrementAndGet);

    assertThatThrownBy(() -> apply(g, 2, append(GOOD, "two", 1), create(FRESH), append(BAD, "x", 0)))
        .isInstanceOf(StorageException.class).hasMessageContaining("injected");

    assertThat(g.view(GOOD)).as("the good stream's view is the one before the entry").isSameAs(before);
    assertThat(g.view(GOOD).tail()).isEqualTo(3);
    assertThat(g.view(FRESH)).as("a stream created by the failed entry is not visible").isNull();
    assertThat(g.store().publishedEnd()).as("no byte of the failed entry is readable").isEqualTo(endBefore);
    assertThat(wakes).as("no watcher woken by the failed entry").hasValue(0);
  }

  @Test
  void aCommandTypeThisNodeDoesNotKnowStopsApplyInsteadOfBeingSkipped() {
    System.setProperty(ApplyFaults.UNKNOWN_PROPERTY, "SetAttrs");
    ApplyFaults faults;
    try {
      faults = ApplyFaults.fromSystemProperties();
    } finally {
      System.clearProperty(ApplyFaults.UNKNOWN_PROPERTY);
    }
    GroupState g = new GroupState(0, new SegmentStore(dir.resolve("u"), 1 << 20, 1 << 20), new WatchRegistry(),
        new WatchRegistry(), faults);
    apply(g, 1, create(GOOD));
    assertThatThrownBy(() -> apply(g, 2, new Command.SetAttrs(GOOD, "{\"a\":1}")))
        .isInstanceOf(UnknownCommandException.class).hasMessageContaining("SetAttrs");
  }
}
