package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: records read back byte-exact from cache and from disk across segment rolls (directly and
 * through the block read cache, including records crossing a block edge and blocks cached while
 * still short), truncation drops exactly the tail, and a flipped bit on disk is detected by the
 * CRC instead of served, through either path.
 */
class SegmentStoreTest {
  @TempDir
  Path dir;

  @Test
  void readsBackAcrossRollsFromCacheAndDisk() {
    long seed = Long.getLong("seed", System.nanoTime());
    SplittableRandom r = new SplittableRandom(seed);
    byte[][] payloads = new byte[200][];
    long[] positions = new long[200];
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 256 * 1024)) {
      for (int i = 0; i < payloads.length; i++) {
        payloads[i] = new byte[r.nextInt(1, 40_000)];
        r.nextBytes(payloads[i]);
        positions[i] = s.append(7, i, payloads[i], 0, payloads[i].length);
      }
      s.publish();
      for (int i = 0; i < payloads.length; i++) {
        byte[] out = new byte[payloads[i].length];
        s.read(positions[i], 7, i, payloads[i].length, 0, out, 0, out.length);
        assertThat(out).as("record %d seed %d", i, seed).isEqualTo(payloads[i]);
      }
    }
    try (SegmentStore reopened = new SegmentStore(dir, 1 << 20, 0)) {
      for (int i = 0; i < payloads.length; i += 17) {
        byte[] out = new byte[payloads[i].length - 1];
        reopened.read(positions[i], 7, i, payloads[i].length, 1, out, 0, out.length);
        assertThat(out[0]).isEqualTo(payloads[i][1]);
      }
    }
  }

  @Test
  void readsThroughTheBlockCacheByteExactWhileTheSegmentGrows() {
    long seed = Long.getLong("seed", System.nanoTime());
    SplittableRandom r = new SplittableRandom(seed);
    int n = 3_000;
    byte[][] payloads = new byte[n][];
    long[] positions = new long[n];
    // no tail cache, 64 KiB of blocks (4 slots: evictions), 256 KiB segments (rolls); records of up
    // to 3,000 bytes in 16 KiB blocks: hundreds cross a block edge
    try (SegmentStore s = new SegmentStore(dir, 256 * 1024, 0, 64 * 1024)) {
      for (int i = 0; i < n; i++) {
        payloads[i] = new byte[r.nextInt(1, 3_000)];
        r.nextBytes(payloads[i]);
        positions[i] = s.append(5, i, payloads[i], 0, payloads[i].length);
        s.publish(); // each record readable at once: blocks get cached while the segment is shorter
        int j = r.nextInt(i + 1); // a random earlier record, then the newest
        for (int k : new int[] {j, i}) {
          byte[] out = new byte[payloads[k].length];
          s.read(positions[k], 5, k, payloads[k].length, 0, out, 0, out.length);
          assertThat(out).as("record %d (after appending %d) seed %d", k, i, seed).isEqualTo(payloads[k]);
        }
      }
    }
  }

  @Test
  void truncationDropsTheTailOnly() {
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0)) {
      long p1 = s.append(1, 0, new byte[] {1, 2, 3}, 0, 3);
      long end1 = s.end();
      s.append(1, 3, new byte[] {4, 5}, 0, 2);
      s.truncateTo(end1);
      assertThat(s.end()).isEqualTo(end1);
      byte[] out = new byte[3];
      s.read(p1, 1, 0, 3, 0, out, 0, 3);
      assertThat(out).containsExactly(1, 2, 3);
      long p2 = s.append(1, 3, new byte[] {9}, 0, 1);
      assertThat(p2).isEqualTo(end1);
    }
  }

  @Test
  void anIntactRecordThatIsNotTheOneTheIndexNamesIsCorruption() {
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0)) {
      long first = s.append(3, 0, "hello".getBytes(), 0, 5);
      s.append(3, 5, "world".getBytes(), 0, 5);
      s.publish();
      // the first record, asked for as if it held the second one's bytes (same stream and length)
      assertThatThrownBy(() -> s.read(first, 3, 5, 5, 0, new byte[5], 0, 5)).isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining("at offset 0 (expected 5)");
    }
  }

  @Test
  void detectsCorruptionOnDisk() throws Exception {
    long pos;
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0)) {
      pos = s.append(3, 0, "hello world".getBytes(), 0, 11);
    }
    Path seg;
    try (var files = Files.list(dir)) {
      seg = files.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(pos + SegmentStore.HEADER_BYTES + 4);
      f.write('X');
    }
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0, 1 << 20)) {
      assertThatThrownBy(() -> s.read(pos, 3, 0, 11, 0, new byte[11], 0, 11)).as("through the block cache")
          .isInstanceOf(StorageException.class).hasMessageContaining("checksum");
    }
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0)) {
      assertThatThrownBy(() -> s.read(pos, 3, 0, 11, 0, new byte[11], 0, 11))
          .isInstanceOf(StorageException.class).hasMessageContaining("checksum");
      assertThatThrownBy(() -> s.read(pos, 3, 0, 12, 0, new byte[11], 0, 11)).as("a length the header does not have")
          .isInstanceOf(StorageException.class); // "unexpected end" here; "length 11 expected 12" mid-file
    }
  }

  /**
   * One flipped byte damages one record: the read of it fails with the typed failure naming the
   * segment, the position and (through the stream reader) the stream bytes it held; the records
   * before and after it read back intact, so the caller can keep serving them.
   */
  @Test
  void aDamagedRecordIsNamedAndItsNeighboursStayReadable() throws Exception {
    StreamIndex index = new StreamIndex();
    long[] pos = new long[3];
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0)) {
      for (int i = 0; i < 3; i++) {
        pos[i] = s.append(7, i * 10L, "0123456789".getBytes(), 0, 10);
        index.add(i * 10L, pos[i]);
      }
    }
    Path seg;
    try (var files = Files.list(dir)) {
      seg = files.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(pos[1] + SegmentStore.HEADER_BYTES + 3);
      f.write('X');
    }
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0, 1 << 20)) {
      assertThatThrownBy(() -> StreamReader.read(s, 7, index.view(), 30, 0, 30, false))
          .isInstanceOfSatisfying(CorruptRecordException.class, e -> {
            assertThat(e.position()).isEqualTo(pos[1]);
            assertThat(e.segment()).isEqualTo(seg);
            assertThat(e.streamId()).isEqualTo(7);
            assertThat(e.streamFrom()).isEqualTo(10);
            assertThat(e.streamTo()).isEqualTo(20);
            assertThat(e.getMessage()).contains("checksum", "[10, 20)", seg.getFileName().toString());
          });
      assertThat(new String(StreamReader.read(s, 7, index.view(), 30, 0, 10, false))).isEqualTo("0123456789");
      assertThat(new String(StreamReader.read(s, 7, index.view(), 30, 20, 30, false))).isEqualTo("0123456789");
    }
  }

  /**
   * The scrub walks every published record across segment rolls, paced by byte counts, reports a
   * damaged payload (with the position and, from its intact header, the stream range) and goes on
   * past it; a header it cannot frame ends that segment's walk and the next segment is still checked.
   */
  @Test
  void scrubReportsDamageAndKeepsWalking() throws Exception {
    long[] pos = new long[40];
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0)) {
      byte[] body = new byte[100_000];
      for (int i = 0; i < pos.length; i++) {
        pos[i] = s.append(9, i * 100_000L, body, 0, body.length);
      }
    }
    try (var files = Files.list(dir)) {
      assertThat(files.filter(p -> p.toString().endsWith(".seg")).count()).as("several segments").isGreaterThan(2);
    }
    flip(pos[3] + SegmentStore.HEADER_BYTES + 77); // a payload byte: the header still frames it
    flip(pos[12] + 1); // the magic: the rest of that segment cannot be framed
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 0)) {
      java.util.List<CorruptRecordException> found = new java.util.ArrayList<>();
      long[] paced = {0};
      long at = 0;
      for (int steps = 0; at < s.publishedEnd(); steps++) {
        assertThat(steps).as("one segment per step").isLessThan(20);
        at = s.scrub(at, 1, b -> paced[0] += b, found::add);
      }
      assertThat(found).extracting(CorruptRecordException::position).containsExactly(pos[3], pos[12]);
      assertThat(found.get(0).streamFrom()).isEqualTo(300_000);
      assertThat(found.get(0).problem()).contains("checksum");
      long lostToFraming = segmentEndAfter(s, pos[12]) - pos[12];
      assertThat(paced[0]).isEqualTo(s.publishedEnd() - lostToFraming);
    }
  }

  private static long segmentEndAfter(SegmentStore s, long position) {
    for (SegmentStore.FileRange r : s.ranges(s.publishedEnd())) {
      if (r.base() <= position && position < r.base() + r.length()) {
        return r.base() + r.length();
      }
    }
    throw new AssertionError("no segment holds " + position);
  }

  private void flip(long globalPos) throws Exception {
    Path seg = null;
    long base = -1;
    try (var files = Files.list(dir)) {
      for (Path p : files.filter(p -> p.toString().endsWith(".seg")).sorted().toList()) {
        long b = Long.parseLong(p.getFileName().toString().replace(".seg", ""));
        if (b <= globalPos) {
          seg = p;
          base = b;
        }
      }
    }
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(globalPos - base);
      int v = f.read();
      f.seek(globalPos - base);
      f.write(v ^ 0x04);
    }
  }
}
