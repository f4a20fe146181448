package io.tributary.cold;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The cold chunk object (format TRC1, docs/on-disk-format.md "Chunk object format"): one sealed,
 * contiguous range {@code [start, end)} of one stream, with a header naming it, a table of
 * CRC32C values, one per {@link #CHECK_BLOCK_BYTES} of payload, so a ranged read verifies exactly
 * the blocks it touches, and (version 2) a table of the stream's record starts in the range, so a
 * replica can answer "is this offset a message boundary" without keeping an index entry for
 * every record it ever had. Its key layout {@code g<GGG>/s<streamId>/<start>-<end>.chunk} is in
 * {@link ObjectLayout}.
 *
 * <pre>
 *   0          header (64 B): magic, version, flags, group, checkBlockBytes, streamId, start, end,
 *                             recordCount, reserved, headerCrc32c
 *   64         check table: crc32c u32 per check block, then tableCrc32c u32
 *   64+4n+4    payload: the stream bytes [start, end), byte-identical to a hot read
 *   after it   (version 2) record starts: u32 (offset - start) per record, ascending, then startsCrc32c u32
 * </pre>
 *
 * The record-start table sits after the payload so the payload is where version 1 put it (a
 * version 1 reader still reads a version 2 chunk's bytes). Stateless; thread-safe. {@link #read}
 * and {@link #recordStarts} block on the {@link BlockCache} (cold-read threads only).
 */
public final class ChunkFormat {
  public static final int MAGIC = 0x54524331; // "TRC1"
  /** Version written: 2 (with the record-start table). Version 1 chunks (without it) are still read. */
  public static final int VERSION = 2;
  private static final int VERSION_WITHOUT_STARTS = 1;
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

  /**
   * Encodes a whole chunk object around {@code payload} (the stream bytes {@code [start, end)}),
   * with the starts of the records in that range, relative to {@code start}: ascending, each below
   * {@code end - start} (normally the first is 0: chunks begin at record starts).
   */
  public static byte[] encode(int group, long streamId, long start, long end, int[] recordStarts, boolean json,
      byte[] payload) {
    if (end - start != payload.length) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes for range [" + start + ", " + end + ")");
    }
    for (int i = 0; i < recordStarts.length; i++) {
      if (recordStarts[i] < 0 || recordStarts[i] >= payload.length || (i > 0 && recordStarts[i] <= recordStarts[i - 1])) {
        throw new IllegalArgumentException("record start " + recordStarts[i] + " (#" + i + ") out of order or outside ["
            + start + ", " + end + ")");
      }
    }
    int n = checkBlocks(payload.length);
    long size = payloadOffset(payload.length) + payload.length + 4L * recordStarts.length + 4;
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putShort((short) VERSION).putShort((short) (json ? FLAG_JSON : 0)).putInt(group).putInt(CHECK_BLOCK_BYTES)
        .putLong(streamId).putLong(start).putLong(end).putInt(recordStarts.length);
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
    int startsAt = b.position();
    for (int r : recordStarts) {
      b.putInt(r);
    }
    CRC32C starts = new CRC32C();
    starts.update(b.array(), startsAt, 4 * recordStarts.length);
    b.putInt((int) starts.getValue());
    return b.array();
  }

  /** The parsed, verified header of a chunk: its version and record count. */
  private record Header(int version, int recordCount) {}

  /** Reads and checks the 64-byte header of {@code key}, which must describe stream {@code streamId}'s {@code [start, end)}. */
  private static Header header(BlockCache cache, String key, long streamId, long start, long end) {
    byte[] head = cache.read(key, 0, HEADER_BYTES);
    if (head.length != HEADER_BYTES) {
      throw new CorruptChunkException(key + ": object ends inside its header (" + head.length + " bytes)");
    }
    ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    crc.update(head, 0, 60);
    int version = Short.toUnsignedInt(h.getShort(4));
    if (h.getInt(0) != MAGIC || h.getInt(60) != (int) crc.getValue() || h.getLong(16) != streamId || h.getLong(24) != start
        || h.getLong(32) != end || h.getInt(12) != CHECK_BLOCK_BYTES) {
      throw new CorruptChunkException(key + ": header does not describe stream " + streamId + " [" + start + ", " + end + ")");
    }
    if (version != VERSION && version != VERSION_WITHOUT_STARTS) {
      throw new CorruptChunkException(key + ": unknown chunk version " + version);
    }
    return new Header(version, h.getInt(40));
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
    header(cache, key, streamId, start, end);
    byte[] checks = cache.read(key, HEADER_BYTES, 4 * n + 4);
    if (checks.length != 4 * n + 4) {
      throw new CorruptChunkException(key + ": object ends inside its check table");
    }
    ByteBuffer h = ByteBuffer.wrap(checks).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C table = new CRC32C();
    table.update(checks, 0, 4 * n);
    if (h.getInt(4 * n) != (int) table.getValue()) {
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
      if ((int) c.getValue() != h.getInt(4 * blk)) {
        throw new CorruptChunkException(key + ": checksum mismatch in check block " + blk);
      }
    }
    int sliceFrom = (int) (from - start - wideFrom);
    return java.util.Arrays.copyOfRange(wide, sliceFrom, sliceFrom + (int) (to - from));
  }

  /**
   * The stream offsets where records start within the chunk {@code key} holding {@code [start,
   * end)}, ascending, from its record-start table (read through the cache and verified). A
   * version 1 chunk has no table: {@link NoRecordStartsException}.
   */
  public static long[] recordStarts(BlockCache cache, String key, long streamId, long start, long end) {
    Header hd = header(cache, key, streamId, start, end);
    if (hd.version() == VERSION_WITHOUT_STARTS) {
      throw new NoRecordStartsException(key + " is a version 1 chunk: it has no record-start table");
    }
    long payloadBytes = end - start;
    if (hd.recordCount() < 0 || hd.recordCount() > payloadBytes) {
      throw new CorruptChunkException(key + ": record count " + hd.recordCount() + " for " + payloadBytes + " payload bytes");
    }
    int tableBytes = 4 * hd.recordCount() + 4;
    byte[] t = cache.read(key, payloadOffset(payloadBytes) + payloadBytes, tableBytes);
    if (t.length != tableBytes) {
      throw new CorruptChunkException(key + ": object ends inside its record-start table");
    }
    CRC32C crc = new CRC32C();
    crc.update(t, 0, tableBytes - 4);
    ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt(tableBytes - 4) != (int) crc.getValue()) {
      throw new CorruptChunkException(key + ": record-start table checksum mismatch");
    }
    long[] out = new long[hd.recordCount()];
    long prev = -1;
    for (int i = 0; i < out.length; i++) {
      long rel = Integer.toUnsignedLong(b.getInt(4 * i));
      if (rel <= prev || rel >= payloadBytes) {
        throw new CorruptChunkException(key + ": record start " + rel + " (#" + i + ") out of order or outside the payload");
      }
      prev = rel;
      out[i] = start + rel;
    }
    return out;
  }

  /** A chunk written before record-start tables existed (version 1) was asked for its record starts. */
  public static final class NoRecordStartsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NoRecordStartsException(String message) {
      super(message);
    }
  }

  /** A chunk object whose bytes do not match its checksums or its name: never served. */
  public static final class CorruptChunkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorruptChunkException(String message) {
      super(message);
    }
  }
}
