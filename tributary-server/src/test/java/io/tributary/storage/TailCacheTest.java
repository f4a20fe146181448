package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the tail cache never answers for bytes it was not given. Its first write after the store
 * is opened or truncated usually lands in the middle of a 64 KiB span whose earlier bytes are on
 * disk only; a read of those bytes must miss (and go to disk), not return the zeros of a fresh
 * chunk. Found by {@code CrashRecoveryTest}: after a restart, reads of data written before it
 * came back as NUL bytes.
 */
class TailCacheTest {
  @TempDir
  Path dir;

  @Test
  void aChunkStartedMidSpanMissesBelowItsFirstWrite() {
    TailCache cache = new TailCache(1 << 20);
    byte[] data = bytes(10, 1);
    cache.write(1000, data, 0, data.length);

    byte[] out = new byte[10];
    assertThat(cache.read(1000, out, 0, 10)).isTrue();
    assertThat(out).isEqualTo(data);
    assertThat(cache.read(0, new byte[1000], 0, 1000)).as("bytes before the first write").isFalse();
    assertThat(cache.read(990, new byte[20], 0, 20)).as("a range straddling the first write").isFalse();
  }

  @Test
  void aReopenedStoreServesOlderBytesOfItsTailSpanFromDisk() {
    byte[] before = bytes(1000, 2);
    byte[] after = bytes(4, 3);
    long posBefore;
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 1 << 20)) {
      posBefore = s.append(7, 0, before, 0, before.length);
      s.publish();
      s.sync();
    }
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 1 << 20)) {
      long posAfter = s.append(7, before.length, after, 0, after.length);
      s.publish();
      byte[] out = new byte[before.length];
      s.read(posBefore, 7, 0, before.length, 0, out, 0, out.length);
      assertThat(Arrays.mismatch(out, before)).as("first wrong byte of the record written before the reopen")
          .isEqualTo(-1);
      byte[] tail = new byte[after.length];
      s.read(posAfter, 7, before.length, after.length, 0, tail, 0, tail.length);
      assertThat(tail).isEqualTo(after);
    }
  }

  @Test
  void truncationThenAppendServesTheKeptBytesFromDisk() {
    byte[] kept = bytes(3000, 4);
    byte[] dropped = bytes(500, 5);
    byte[] rewritten = bytes(700, 6);
    try (SegmentStore s = new SegmentStore(dir, 1 << 20, 1 << 20)) {
      long posKept = s.append(9, 0, kept, 0, kept.length);
      s.append(9, kept.length, dropped, 0, dropped.length);
      s.publish();
      s.sync();
      s.truncateTo(posKept + SegmentStore.HEADER_BYTES + kept.length); // what recovery does
      s.append(9, kept.length, rewritten, 0, rewritten.length);
      s.publish();
      byte[] out = new byte[kept.length];
      s.read(posKept, 9, 0, kept.length, 0, out, 0, out.length);
      assertThat(Arrays.mismatch(out, kept)).as("first wrong byte of the kept record after truncate + append")
          .isEqualTo(-1);
    }
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }
}
