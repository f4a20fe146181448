package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a replica's damaged records are rewritten from a healthy replica's copy and nothing else
 * is: the damaged range is found, the healthy copy is served only once verified, the patch takes
 * only records that fail locally, refuses a damaged peer copy and a peer that disagrees with an
 * intact local record, and reads that failed (through the block read cache too) succeed after it.
 *
 * <p>Method: two stores in two directories take the same appends (as two replicas applying the
 * same log do: identical bytes at identical positions), seeded payloads (seed printed). Bytes of
 * replica A's segment files are flipped on disk; B plays the peer.
 */
class RecordPatchTest {
  private static final int RECORDS = 60;
  private static final int SEGMENT_BYTES = 1 << 20;
  @TempDir
  Path dir;
  private final long seed = Long.getLong("seed", System.nanoTime());
  private final byte[][] payloads = new byte[RECORDS][];
  private final long[] pos = new long[RECORDS];

  @BeforeEach
  void twoReplicas() {
    System.out.println("RecordPatchTest seed " + seed);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < RECORDS; i++) {
      payloads[i] = new byte[r.nextInt(1, 60_000)];
      r.nextBytes(payloads[i]);
    }
    for (String replica : List.of("a", "b")) {
      try (SegmentStore s = new SegmentStore(dir.resolve(replica), SEGMENT_BYTES, 0)) {
        for (int i = 0; i < RECORDS; i++) {
          pos[i] = s.append(5, streamOffset(i), payloads[i], 0, payloads[i].length);
        }
        s.publish();
      }
    }
  }

  @Test
  void damagedRecordsAreRewrittenFromThePeersVerifiedCopy() throws Exception {
    int payloadHit = 2;
    int headerHit = segmentmate(payloadHit);
    flip("a", pos[payloadHit] + SegmentStore.HEADER_BYTES + payloads[payloadHit].length / 2);
    flip("a", pos[headerHit] + 2); // the magic: the records after it in that segment cannot be framed
    try (SegmentStore a = new SegmentStore(dir.resolve("a"), SEGMENT_BYTES, 0, 256 * 1024);
        SegmentStore b = new SegmentStore(dir.resolve("b"), SEGMENT_BYTES, 0)) {
      readsOrFails(a, payloadHit, true); // caches the damaged bytes' block in the block read cache
      readsOrFails(a, headerHit, true);

      RecordPatch.Damage d = a.damageAround(pos[payloadHit]);
      assertThat(d.records()).extracting(CorruptRecordException::position).containsExactly(pos[payloadHit], pos[headerHit]);
      assertThat(d.from()).isEqualTo(pos[payloadHit]);
      long segmentEnd = segmentEnd(a, pos[payloadHit]);
      assertThat(d.to()).as("an unframed header extends the range to the segment's end").isEqualTo(segmentEnd);

      Path copy = fetch(b, d.from(), d.to());
      int rewritten = a.patch(copy, d.from(), d.to());
      assertThat(rewritten).as("only the two damaged records, seed %d", seed).isEqualTo(2);
      assertThat(a.damageAround(pos[payloadHit]).intact()).isTrue();
      for (int i = 0; i < RECORDS; i++) {
        readsOrFails(a, i, false);
      }
    }
    assertReplicasIdentical();
  }

  @Test
  void aPayloadFlipNeedsOnlyThatRecord() throws Exception {
    int hit = 20;
    flip("a", pos[hit] + SegmentStore.HEADER_BYTES);
    try (SegmentStore a = new SegmentStore(dir.resolve("a"), SEGMENT_BYTES, 0)) {
      RecordPatch.Damage d = a.damageAround(pos[hit]);
      assertThat(d.from()).isEqualTo(pos[hit]);
      assertThat(d.to()).isEqualTo(pos[hit] + SegmentStore.HEADER_BYTES + payloads[hit].length);
      assertThat(d.records().get(0).streamFrom()).isEqualTo(streamOffset(hit));
    }
  }

  @Test
  void theHealthyCopyIsServedOnlyWhenVerifiedAndHeld() throws Exception {
    int hit = 30;
    flip("b", pos[hit] + SegmentStore.HEADER_BYTES + 3);
    try (SegmentStore a = new SegmentStore(dir.resolve("a"), SEGMENT_BYTES, 0);
        SegmentStore b = new SegmentStore(dir.resolve("b"), SEGMENT_BYTES, 0)) {
      long end = pos[hit] + SegmentStore.HEADER_BYTES + payloads[hit].length;
      assertThatThrownBy(() -> b.verifiedParts(pos[hit - 1], end)).isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining("position " + pos[hit]);
      assertThat(b.verifiedParts(pos[hit - 1], pos[hit])).singleElement()
          .satisfies(p -> assertThat(p.length()).isEqualTo(pos[hit] - pos[hit - 1]));
      assertThatThrownBy(() -> b.verifiedParts(0, b.publishedEnd() + 1)).isInstanceOf(IllegalArgumentException.class);
      // a range across a segment roll comes as one part per segment
      long roll = segmentEnd(a, 0);
      assertThat(a.verifiedParts(0, recordEndAfter(roll))).extracting(SegmentStore.FilePart::from)
          .containsExactly(0L, roll);
    }
  }

  @Test
  void aDamagedPeerCopyOrADivergingPeerIsRefusedAndNothingIsWritten() throws Exception {
    int hit = withNeighboursInItsSegment(40);
    flip("a", pos[hit] + SegmentStore.HEADER_BYTES + 11);
    try (SegmentStore a = new SegmentStore(dir.resolve("a"), SEGMENT_BYTES, 0);
        SegmentStore b = new SegmentStore(dir.resolve("b"), SEGMENT_BYTES, 0)) {
      long from = pos[hit - 1];
      long to = pos[hit + 1] + SegmentStore.HEADER_BYTES + payloads[hit + 1].length;
      byte[] before = Files.readAllBytes(segmentFile("a", from));

      Path damagedInFlight = fetch(b, from, to);
      flipFile(damagedInFlight, pos[hit] - from + SegmentStore.HEADER_BYTES + 1);
      assertThatThrownBy(() -> a.patch(damagedInFlight, from, to)).isInstanceOf(CorruptRecordException.class);

      // the peer's copy of an intact neighbour differs (valid CRC, other bytes): divergence, not damage
      Path diverging = fetch(b, from, to);
      rewriteRecord(diverging, 0, payloads[hit - 1].length);
      assertThatThrownBy(() -> a.patch(diverging, from, to)).isInstanceOf(StorageException.class)
          .hasMessageContaining("replicas diverge at position " + from);
      assertThat(Files.readAllBytes(segmentFile("a", from))).as("nothing written").isEqualTo(before);

      assertThat(a.patch(fetch(b, from, to), from, to)).isEqualTo(1);
    }
    assertReplicasIdentical();
  }

  /** A record from {@code i} down whose neighbours on both sides are in its segment. */
  private int withNeighboursInItsSegment(int i) {
    for (int j = i; j > 0; j--) {
      long end = pos[j + 1] + SegmentStore.HEADER_BYTES + payloads[j + 1].length;
      try (SegmentStore s = new SegmentStore(dir.resolve("b"), SEGMENT_BYTES, 0)) {
        if (segmentEnd(s, pos[j - 1]) >= end) {
          return j;
        }
      }
    }
    throw new AssertionError("no record with both neighbours in its segment, seed " + seed);
  }

  /** A record after {@code i} in the same segment, with records after it there too. */
  private int segmentmate(int i) {
    try (SegmentStore s = new SegmentStore(dir.resolve("b"), SEGMENT_BYTES, 0)) {
      long end = segmentEnd(s, pos[i]);
      for (int j = i + 1; j < RECORDS - 1; j++) {
        if (pos[j + 1] + SegmentStore.HEADER_BYTES + payloads[j + 1].length <= end) {
          return j;
        }
      }
    }
    throw new AssertionError("no later record in the segment of record " + i + ", seed " + seed);
  }

  private long recordEndAfter(long position) {
    for (int i = 0; i < RECORDS; i++) {
      if (pos[i] >= position) {
        return pos[i] + SegmentStore.HEADER_BYTES + payloads[i].length;
      }
    }
    throw new AssertionError("no record at or after " + position);
  }

  private static long streamOffset(int i) {
    return 1_000_000L * i;
  }

  private void readsOrFails(SegmentStore s, int i, boolean damaged) {
    byte[] out = new byte[payloads[i].length];
    if (damaged) {
      assertThatThrownBy(() -> s.read(pos[i], 5, streamOffset(i), out.length, 0, out, 0, out.length))
          .isInstanceOf(CorruptRecordException.class);
    } else {
      s.read(pos[i], 5, streamOffset(i), out.length, 0, out, 0, out.length);
      assertThat(out).as("record %d, seed %d", i, seed).isEqualTo(payloads[i]);
    }
  }

  /** What a peer sends: its verified bytes of [from, to), written to a file as the repair receives them. */
  private Path fetch(SegmentStore peer, long from, long to) throws IOException {
    Path out = Files.createTempFile(dir, "peer", ".bin");
    try (FileChannel w = FileChannel.open(out, StandardOpenOption.WRITE)) {
      for (SegmentStore.FilePart p : peer.verifiedParts(from, to)) {
        try (FileChannel r = FileChannel.open(p.file(), StandardOpenOption.READ)) {
          r.transferTo(p.offset(), p.length(), w);
        }
      }
    }
    return out;
  }

  private static long segmentEnd(SegmentStore s, long position) {
    for (SegmentStore.FileRange r : s.ranges(s.publishedEnd())) {
      if (r.base() <= position && position < r.base() + r.length()) {
        return r.base() + r.length();
      }
    }
    throw new AssertionError("no segment holds " + position);
  }

  private void assertReplicasIdentical() throws IOException {
    for (Path p : segmentFiles("b")) {
      assertThat(Files.readAllBytes(dir.resolve("a").resolve(p.getFileName())))
          .as("%s identical on both replicas, seed %d", p.getFileName(), seed).isEqualTo(Files.readAllBytes(p));
    }
  }

  private List<Path> segmentFiles(String replica) throws IOException {
    try (var files = Files.list(dir.resolve(replica))) {
      return files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }

  private Path segmentFile(String replica, long globalPos) throws IOException {
    Path seg = null;
    for (Path p : segmentFiles(replica)) {
      if (Long.parseLong(p.getFileName().toString().replace(".seg", "")) <= globalPos) {
        seg = p;
      }
    }
    return seg;
  }

  private void flip(String replica, long globalPos) throws IOException {
    Path seg = segmentFile(replica, globalPos);
    flipFile(seg, globalPos - Long.parseLong(seg.getFileName().toString().replace(".seg", "")));
  }

  private static void flipFile(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int v = f.read();
      f.seek(at);
      f.write(v ^ 0x10);
    }
  }

  /** Replaces the payload of the record at {@code at} in {@code file} with other bytes and a valid CRC. */
  private static void rewriteRecord(Path file, long at, int payloadLength) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      byte[] rec = new byte[SegmentStore.HEADER_BYTES + payloadLength];
      f.seek(at);
      f.readFully(rec);
      rec[SegmentStore.HEADER_BYTES] ^= 0x01;
      java.util.zip.CRC32C c = new java.util.zip.CRC32C();
      c.update(rec, 0, 24);
      c.update(rec, SegmentStore.HEADER_BYTES, payloadLength);
      java.nio.ByteBuffer.wrap(rec, 24, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) c.getValue());
      f.seek(at);
      f.write(rec);
    }
  }
}
