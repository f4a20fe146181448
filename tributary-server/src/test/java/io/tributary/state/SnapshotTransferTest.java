package io.tributary.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.common.StreamKey;
import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.SegmentStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a snapshot crosses between replicas only verified. The sender refuses to export segments
 * holding a damaged record; the receiver rejects a stream in which any byte of a segment or of the
 * metadata changed in flight, leaving no install marker (so nothing of it can be installed), and
 * accepts the same stream unchanged. Method: one group with a few streams across several
 * segments, its snapshot exported to bytes, then single bytes flipped at seeded positions.
 */
class SnapshotTransferTest {
  private static final long SEED = Long.getLong("tributary.seed", System.nanoTime());
  @TempDir
  Path dir;

  private GroupState group() {
    GroupState g = new GroupState(0, new SegmentStore(dir.resolve("seg"), 1 << 20, 0), new WatchRegistry());
    for (int s = 0; s < 3; s++) {
      StreamKey key = new StreamKey("default", "s" + s);
      apply(g, new Command.Create(key, "text/plain", -1, null, -1, false, new byte[0], 0, null));
      for (int i = 0; i < 40; i++) {
        byte[] body = new byte[20_000];
        java.util.Arrays.fill(body, (byte) ('a' + s));
        apply(g, new Command.Append(key, "text/plain", body, 0, false, null, null));
      }
    }
    g.store.sync();
    return g;
  }

  private static void apply(GroupState g, Command c) {
    g.apply(CommandCodec.decode(ByteBuffer.wrap(CommandCodec.encode(1, List.of(c), 64))));
  }

  private byte[] exportBytes(GroupState g) throws IOException {
    Path meta = dir.resolve("snapshot.1_100");
    SnapshotCodec.write(g, g.store.end(), meta);
    SnapshotTransfer.Export e = SnapshotTransfer.export(1, 100, meta, g.store.ranges(g.store.end()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(e.header());
    for (SnapshotTransfer.Part p : e.parts()) {
      out.write(p.prefix());
      try (var ch = java.nio.channels.FileChannel.open(p.file())) {
        ByteBuffer b = ByteBuffer.allocate((int) p.length());
        ch.read(b, p.offset());
        out.write(b.array(), 0, b.position());
      }
    }
    assertThat(out.size()).isEqualTo(e.totalBytes());
    return out.toByteArray();
  }

  @Test
  void aStreamArrivingIntactIsAcceptedAndMarkedComplete() throws IOException {
    GroupState g = group();
    assertThat(g.store.ranges(g.store.end())).as("several segments").hasSizeGreaterThan(1);
    byte[] bytes = exportBytes(g);
    Path installing = dir.resolve("installing");
    SnapshotTransfer.Received r = SnapshotTransfer.receive(new ByteArrayInputStream(bytes), installing,
        dir.resolve("received.meta"));
    assertThat(r.index()).isEqualTo(100);
    assertThat(installing.resolve(SnapshotTransfer.COMPLETE_MARKER)).exists();
  }

  /**
   * A snapshot at or below what this replica already applied is not installed: it would move the
   * replica back behind entries its log no longer leads up to (ClusterFaultTest: the log worker then
   * failed on the gap and the group's division closed on that node). Nothing is written.
   */
  @Test
  void aSnapshotNotAheadOfTheReplicaIsNotInstalled() throws IOException {
    byte[] bytes = exportBytes(group());
    Path installing = dir.resolve("not-installing");
    Path meta = dir.resolve("not-received.meta");
    assertThat(SnapshotTransfer.receive(new ByteArrayInputStream(bytes), installing, meta, 100)).isNull();
    assertThat(installing).doesNotExist();
    assertThat(meta).doesNotExist();
    assertThat(SnapshotTransfer.receive(new ByteArrayInputStream(bytes), installing, meta, 99).index()).isEqualTo(100);
  }

  /** One byte flipped anywhere after the stream header (metadata, a segment's prefix or bytes) rejects it. */
  @Test
  void aByteFlippedInFlightRejectsTheDownload() throws IOException {
    SplittableRandom rnd = new SplittableRandom(SEED);
    System.out.println("SnapshotTransferTest seed " + SEED);
    GroupState g = group();
    byte[] good = exportBytes(g);
    int metaLen = (int) Files.size(dir.resolve("snapshot.1_100"));
    int headerLen = 4 + 4 + 8 + 8 + 4 + 8;
    int[] targets = {
        headerLen + 20, // in the metadata
        headerLen + metaLen + 16 + 40, // in the first segment's first record payload
        headerLen + metaLen + 16 + 10, // in the first record's header
        headerLen + metaLen + 16 + rnd.nextInt(good.length - headerLen - metaLen - 16), // anywhere in segments
    };
    for (int at : targets) {
      byte[] bad = good.clone();
      bad[at] ^= (byte) (1 << rnd.nextInt(8));
      Path installing = dir.resolve("installing-" + at);
      assertThatThrownBy(() -> SnapshotTransfer.receive(new ByteArrayInputStream(bad), installing,
          dir.resolve("received-" + at + ".meta")))
          .as("byte %d of %d flipped (seed %d)", at, good.length, SEED).isInstanceOf(IOException.class)
          .hasMessageContaining("rejected");
      assertThat(installing.resolve(SnapshotTransfer.COMPLETE_MARKER)).as("never marked complete").doesNotExist();
      assertThat(dir.resolve("received-" + at + ".meta")).as("metadata not moved into place").doesNotExist();
    }
  }

  @Test
  void theSenderRefusesADamagedSegment() throws IOException {
    GroupState g = group();
    Path meta = dir.resolve("snapshot.1_100");
    SnapshotCodec.write(g, g.store.end(), meta);
    SegmentStore.FileRange first = g.store.ranges(g.store.end()).get(0);
    try (RandomAccessFile f = new RandomAccessFile(first.path().toFile(), "rw")) {
      f.seek(first.length() / 2);
      int b = f.read();
      f.seek(first.length() / 2);
      f.write(b ^ 0x10);
    }
    assertThatThrownBy(() -> SnapshotTransfer.export(1, 100, meta, g.store.ranges(g.store.end())))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining(first.path().getFileName().toString());
    try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
      f.seek(30);
      int b = f.read();
      f.seek(30);
      f.write(b ^ 0x01);
    }
    assertThatThrownBy(() -> SnapshotCodec.verify(meta)).isInstanceOf(IOException.class)
        .hasMessageContaining("checksum");
  }
}
