package io.tributary.cold;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The cold chunk object (format TRC1, docs/on-disk-format.md "Chunk object format"): one sealed,
 * contiguous range {@code [start, end)} of one stream, with a header naming it and a table of
 * CRC32C values, one per {@link #CHECK_BLOCK_BYTES} of payload, so a ranged read verifies exactly
 * the blocks it touches. Its key layout {@code g<GGG>/s<streamId>/<start>-<end>.chunk} is in {@link ObjectLayout}.
 *
 * <pre>
 *   0        header (64 B): magic, version, flags, group, checkBlockBytes, streamId, start, end,
 *                           recordCount, reserved, headerCrc32c
 *   64       check table: crc32c u32 per check block, then tableCrc32c u32
 *   64+4n+4  payload: the stream bytes [start, end), byte-identical to a hot read
 * </pre>
 *
 * Stateless; thread-safe. {@link #read} blocks on the {@link BlockCache} (cold-read threads only).
 */
public final class ChunkFormat {
  public static final int MAGIC = 0x54524331; // "TRC1"
  public static final int VERSION = 1;
  public static final int HEADER_BYTES = 64;
  public static final int CHECK_BLOCK_BYTES = 64 * 1024;
  private static final int FLAG_JSON = 1;

  private ChunkFormat() {}

  /** The object key of stream {@code streamId}'s range {@code [start, end)} in group {@code group}. */
  public static String key(int group, long streamId, long start, long end) {
    return ObjectLayout.chunkKey(group, streamId, start, end);
  }

  /** Bytes before the payload in a chunk of {@code payloadBytes}. */
  public static long payloadOffset(long payloadBytes) {
    return HEADER_BYTES + 4L * checkBlocks(payloadBytes) + 4;
  }

  private static int checkBlocks(long payloadBytes) {
    return (int) ((payloadBytes + CHECK_BLOCK_BYTES - 1) / CHECK_BLOCK_BYTES);
  }

  /** Encodes a whole chunk object around {@code payload} (the stream bytes {@code [start, end)}). */
  public static byte[] encode(int group, long streamId, long start, long end, int recordCount, boolean json, byte[] payload) {
    if (end - start != payload.length) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes for range [" + start + ", " + end + ")");
    }
    int n = checkBlocks(payload.length);
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(payloadOffset(payload.length) + payload.length)).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putShort((short) VERSION).putShort((short) (json ? FLAG_JSON : 0)).putInt(group).putInt(CHECK_BLOCK_BYTES)
        .putLong(streamId).putLong(start).putLong(end).putInt(recordCount);
    b.position(60);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, 60);
    b.putInt((int) crc.getValue());
    CRC32C table = new CRC32C();
    for (int i = 0; i < n; i++) {
      CRC32C c = new CRC32C();
      int from = i * CHECK_BLOCK_BYTES;
      c.update(payload, from, Math.min(CHECK_BLOCK_BYTES, payload.length - from));
      int at = b.position();
      b.putInt((int) c.getValue());
      table.update(b.array(), at, 4);
    }
    b.putInt((int) table.getValue());
    b.put(payload);
    return b.array();
  }

  /**
   * Stream bytes {@code [from, to)} out of the chunk {@code key} holding {@code [start, end)}:
   * reads the header and check table, widens the range to check blocks, verifies each block's
   * CRC32C and returns the slice. A mismatch or a header naming another range is a
   * {@link CorruptChunkException}.
   */
  public static byte[] read(BlockCache cache, String key, long streamId, long start, long end, long from, long to) {
    if (from < start || to > end || from > to) {
      throw new IllegalArgumentException("range [" + from + ", " + to + ") outside chunk [" + start + ", " + end + ") " + key);
    }
    long payloadBytes = end - start;
    int n = checkBlocks(payloadBytes);
    long base = payloadOffset(payloadBytes);
    byte[] head = cache.read(key, 0, Math.toIntExact(base));
    if (head.length != base) {
      throw new CorruptChunkException(key + ": object ends inside its header (" + head.length + " bytes)");
    }
    ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    crc.update(head, 0, 60);
    if (h.getInt(0) != MAGIC || h.getInt(60) != (int) crc.getValue() || h.getLong(16) != streamId || h.getLong(24) != start
        || h.getLong(32) != end || h.getInt(12) != CHECK_BLOCK_BYTES) {
      throw new CorruptChunkException(key + ": header does not describe stream " + streamId + " [" + start + ", " + end + ")");
    }
    CRC32C table = new CRC32C();
    table.update(head, HEADER_BYTES, 4 * n);
    if (h.getInt(HEADER_BYTES + 4 * n) != (int) table.getValue()) {
      throw new CorruptChunkException(key + ": check table checksum mismatch");
    }
    if (from == to) {
      return new byte[0];
    }
    int firstBlock = (int) ((from - start) / CHECK_BLOCK_BYTES);
    int lastBlock = (int) ((to - start - 1) / CHECK_BLOCK_BYTES);
    long wideFrom = (long) firstBlock * CHECK_BLOCK_BYTES;
    long wideTo = Math.min(payloadBytes, (long) (lastBlock + 1) * CHECK_BLOCK_BYTES);
    byte[] wide = cache.read(key, base + wideFrom, Math.toIntExact(wideTo - wideFrom));
    if (wide.length != wideTo - wideFrom) {
      throw new CorruptChunkException(key + ": object shorter than its header says");
    }
    for (int blk = firstBlock; blk <= lastBlock; blk++) {
      int off = (int) ((long) (blk - firstBlock) * CHECK_BLOCK_BYTES);
      int len = Math.min(CHECK_BLOCK_BYTES, wide.length - off);
      CRC32C c = new CRC32C();
      c.update(wide, off, len);
      if ((int) c.getValue() != h.getInt(HEADER_BYTES + 4 * blk)) {
        throw new CorruptChunkException(key + ": checksum mismatch in check block " + blk);
      }
    }
    int sliceFrom = (int) (from - start - wideFrom);
    return java.util.Arrays.copyOfRange(wide, sliceFrom, sliceFrom + (int) (to - from));
  }

  /** A chunk object whose bytes do not match its checksums or its name: never served. */
  public static final class CorruptChunkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorruptChunkException(String message) {
      super(message);
    }
  }
}
