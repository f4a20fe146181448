package io.tributary.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a snapshot captured on the apply thread and written later, while entries keep being
 * applied, holds exactly the state at capture time: not one record, producer, stream or tail of
 * what was applied in between. That is what lets SOFAJRaft's snapshot (taken as of the index at
 * capture, the log below it purged once written) be written off the apply thread.
 *
 * <p>Method: a replica with several streams (producers, appends, one stream with enough records
 * to grow its index arrays); its canonical snapshot bytes at capture time; a capture; then more
 * entries that grow every index (past array growth), add producers and streams, close and delete
 * streams; then the capture is written. Its file must equal the bytes at capture time and differ
 * from the state's bytes now, and a fresh replica recovered from it must hold the captured tails.
 */
class PreparedSnapshotTest {
  @TempDir
  Path dir;

  private long index;

  private void apply(ReplicaCore core, Command... cs) throws ReplicaStoppedException {
    index++;
    core.apply(1, index, ByteBuffer.wrap(CommandCodec.encode(index, List.of(cs), 64)));
  }

  private static Command.Create create(StreamKey k) {
    return new Command.Create(k, "text/plain", -1, null, -1, false, new byte[0], 0, null);
  }

  private static Command.Append append(StreamKey k, String body, String producer, long seq) {
    return new Command.Append(k, "text/plain", body.getBytes(), 0, false, null,
        producer == null ? null : new Command.Producer(producer, 0, seq));
  }

  private static byte[] canonical(GroupState g) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SnapshotCodec.write(g, g.store.end(), out);
    return out.toByteArray();
  }

  private ReplicaCore replica(String name) {
    return new ReplicaCore(0, dir.resolve(name), 1 << 20, 1 << 20, 0, f -> {
      throw new AssertionError("halted: " + f.describe());
    }, ApplyFaults.none());
  }

  @Test
  void aCapturedSnapshotWrittenLaterHoldsTheStateAtCapture() throws Exception {
    ReplicaCore core = replica("a");
    core.load(null, "none", 0, 0);
    List<StreamKey> keys = new ArrayList<>();
    for (int s = 0; s < 4; s++) {
      StreamKey k = new StreamKey("default", "s" + s);
      keys.add(k);
      apply(core, create(k));
      for (int i = 0; i < 3 + 10 * s; i++) {
        apply(core, append(k, "m" + s + "-" + i, "p" + s, i));
      }
    }
    GroupState g = core.state();
    byte[] atCapture = canonical(g);
    List<Long> tailsAtCapture = new ArrayList<>();
    for (StreamKey k : keys) {
      tailsAtCapture.add(g.view(k).tail());
    }

    ReplicaCore.PreparedSnapshot prepared = core.prepareSnapshot();

    // the apply thread goes on: every index grows past its array's capacity, producers and streams come and go
    for (StreamKey k : keys) {
      for (int i = 0; i < 70; i++) {
        apply(core, append(k, "later-" + i, "q", i));
      }
    }
    apply(core, create(new StreamKey("default", "new")), append(new StreamKey("default", "new"), "x", null, 0));
    apply(core, new Command.Delete(keys.get(0)));
    assertThat(canonical(g)).as("the state moved on").isNotEqualTo(atCapture);

    Path file = dir.resolve("meta");
    prepared.write(file);
    assertThat(Files.readAllBytes(file)).as("the file holds the state at capture, nothing applied after")
        .isEqualTo(atCapture);
    assertThat(prepared.segmentEnd()).isLessThan(g.store.end());

    // and it is a snapshot a replica recovers from: the captured tails, the later stream absent
    ReplicaCore copy = replica("b");
    for (var r : prepared.segmentFiles()) {
      Files.createDirectories(dir.resolve("b"));
      Files.copy(r.path(), dir.resolve("b").resolve(r.path().getFileName()));
    }
    copy.load(file, "1_" + index, index, 0);
    for (int s = 0; s < keys.size(); s++) {
      assertThat(copy.state().view(keys.get(s)).tail()).as("tail of " + keys.get(s)).isEqualTo(tailsAtCapture.get(s));
    }
    assertThat(copy.state().view(new StreamKey("default", "new"))).isNull();
  }
}
