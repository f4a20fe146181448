package io.tributary.cold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a version 2 chunk returns the same bytes as before and its record-start table; a
 * version 1 chunk (written before the table existed) still reads, and says it has no table;
 * a damaged table is refused loudly. Method: chunks written to a directory store and read
 * through a block cache with small blocks (so the table spans blocks). Seeded (-Dseed).
 */
class ChunkFormatTest {
  private static final long STREAM = 42;
  private static final long START = 1_000_000;

  @TempDir
  Path tmp;
  private LocalDirectoryObjectStore store;
  private BlockCache cache;
  private final long seed = Long.getLong("seed", System.nanoTime());

  @BeforeEach
  void setUp() {
    store = new LocalDirectoryObjectStore(tmp.resolve("objects"));
    cache = new BlockCache(store, BlockCache.Options.of(4096, 1 << 20, 0));
  }

  @AfterEach
  void tearDown() {
    cache.close();
  }

  @Test
  void versionTwoChunksListTheirRecordStarts() {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] payload = new byte[200_000];
    r.nextBytes(payload);
    int[] starts = new int[3000];
    for (int i = 1; i < starts.length; i++) {
      starts[i] = starts[i - 1] + 1 + r.nextInt(60); // at most 180,000: inside the payload
    }
    long end = START + payload.length;
    String key = ChunkFormat.key(3, STREAM, START, end);
    store.put(key, ChunkFormat.encode(3, STREAM, START, end, starts, false, payload));

    long[] got = ChunkFormat.recordStarts(cache, key, STREAM, START, end);
    assertThat(got).as("seed %d", seed).hasSize(starts.length);
    for (int i = 0; i < starts.length; i++) {
      assertThat(got[i]).as("record %d, seed %d", i, seed).isEqualTo(START + starts[i]);
    }
    for (int i = 0; i < 20; i++) {
      long from = START + r.nextInt(payload.length);
      long to = from + r.nextInt((int) (end - from) + 1);
      assertThat(ChunkFormat.read(cache, key, STREAM, START, end, from, to)).as("[%d, %d) seed %d", from, to, seed)
          .isEqualTo(Arrays.copyOfRange(payload, (int) (from - START), (int) (to - START)));
    }
  }

  @Test
  void versionOneChunksStillReadButHaveNoTable() {
    byte[] payload = "hello, version one".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    long end = START + payload.length;
    String key = ChunkFormat.key(0, STREAM, START, end);
    store.put(key, versionOne(0, STREAM, START, end, payload));
    assertThat(ChunkFormat.read(cache, key, STREAM, START, end, START + 7, end)).isEqualTo("version one".getBytes(
        java.nio.charset.StandardCharsets.UTF_8));
    assertThatThrownBy(() -> ChunkFormat.recordStarts(cache, key, STREAM, START, end))
        .isInstanceOf(ChunkFormat.NoRecordStartsException.class);
  }

  @Test
  void aDamagedRecordStartTableIsRefused() {
    byte[] payload = new byte[1000];
    long end = START + payload.length;
    String key = ChunkFormat.key(0, STREAM, START, end);
    byte[] chunk = ChunkFormat.encode(0, STREAM, START, end, new int[] {0, 10, 500}, false, payload);
    chunk[chunk.length - 8] ^= 1; // inside the last record start
    store.put(key, chunk);
    assertThatThrownBy(() -> ChunkFormat.recordStarts(cache, key, STREAM, START, end))
        .isInstanceOf(ChunkFormat.CorruptChunkException.class).hasMessageContaining("record-start table");
    assertThatThrownBy(() -> ChunkFormat.encode(0, STREAM, START, end, new int[] {0, 10, 10}, false, payload))
        .as("starts must ascend").isInstanceOf(IllegalArgumentException.class);
  }

  /** A chunk as version 1 wrote it: header, check table, payload; no record-start table. */
  private static byte[] versionOne(int group, long streamId, long start, long end, byte[] payload) {
    int n = (payload.length + ChunkFormat.CHECK_BLOCK_BYTES - 1) / ChunkFormat.CHECK_BLOCK_BYTES;
    ByteBuffer b = ByteBuffer.allocate((int) ChunkFormat.payloadOffset(payload.length) + payload.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(ChunkFormat.MAGIC).putShort((short) 1).putShort((short) 0).putInt(group).putInt(ChunkFormat.CHECK_BLOCK_BYTES)
        .putLong(streamId).putLong(start).putLong(end).putInt(1);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, 60);
    b.putInt(60, (int) crc.getValue()).position(64);
    CRC32C table = new CRC32C();
    for (int i = 0; i < n; i++) {
      CRC32C c = new CRC32C();
      int from = i * ChunkFormat.CHECK_BLOCK_BYTES;
      c.update(payload, from, Math.min(ChunkFormat.CHECK_BLOCK_BYTES, payload.length - from));
      int at = b.position();
      b.putInt((int) c.getValue());
      table.update(b.array(), at, 4);
    }
    b.putInt((int) table.getValue());
    b.put(payload);
    return b.array();
  }
}
