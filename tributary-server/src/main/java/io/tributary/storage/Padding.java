package io.tributary.storage;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Padding records (segment format 2, docs/on-disk-format.md): how compaction writes a segment whose
 * garbage runs are holes, and how scanners recognise a run. A run starts with a 32-byte header
 * {@code magic u32 "TRBP" | zero u32 | runBytes u64 (header included) | zero u64 | crc32c u32 (of
 * the first 24 bytes) | reserved u32}; the rest of the run is never written, so the file system
 * allocates no blocks for it. Runs start and end on the record boundaries apply laid down.
 *
 * <p>Stateless; {@link SegmentStore} calls it on the reclaim thread (compaction, the check for runs
 * already reclaimed) and on any thread for {@link #run}/{@link #inside}. Blocks on disk I/O;
 * memory bounded by one record.
 */
final class Padding {
  static final int MAGIC = 0x54524250; // "TRBP"

  private Padding() {}

  /**
   * The bytes a padding header (32 bytes, little endian, at position 0 of {@code head}) covers,
   * header included; -1 when it is not an intact padding header.
   */
  static long run(ByteBuffer head) {
    if (head.getInt(0) != MAGIC || head.getInt(4) != 0 || head.getLong(16) != 0) {
      return -1;
    }
    long run = head.getLong(8);
    CRC32C c = new CRC32C();
    c.update(head.array(), head.arrayOffset(), 24);
    return run >= SegmentStore.HEADER_BYTES && (int) c.getValue() == head.getInt(24) ? run : -1;
  }

  /** A padding header covering {@code runBytes} (header included). */
  static ByteBuffer header(long runBytes) {
    ByteBuffer h = ByteBuffer.allocate(SegmentStore.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(MAGIC).putInt(0).putLong(runBytes).putLong(0);
    CRC32C c = new CRC32C();
    c.update(h.array(), 0, 24);
    h.putInt((int) c.getValue()).putInt(0);
    return h.flip();
  }

  /**
   * Writes {@code tmp}: {@code size} bytes, sparse, holding the live records
   * {@code starts[lo..hi)} ({@code bytes} each, sorted, global positions) copied from the segment
   * at {@code base} to their own offsets, and a padding header at the start of every run between
   * them (and before the first, after the last); fsyncs it. Returns the bytes left as holes.
   * Throws {@link CorruptRecordException} when a live record fails its check.
   */
  static long writeCompacted(FileChannel src, Path srcPath, long base, long size, Path tmp, long[] starts, int[] bytes,
      int lo, int hi) throws IOException {
    long holes = 0;
    try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
      raf.setLength(0);
      raf.setLength(size); // sparse: nothing allocated until written
      FileChannel out = raf.getChannel();
      ByteBuffer rec = ByteBuffer.allocate(SegmentStore.HEADER_BYTES + SegmentStore.RECORD_PAYLOAD_MAX)
          .order(ByteOrder.LITTLE_ENDIAN);
      long at = base;
      for (int k = lo; k <= hi; k++) {
        long runEnd = k < hi ? starts[k] : base + size;
        if (runEnd < at || (k < hi && runEnd + bytes[k] > base + size)) {
          throw new IllegalArgumentException("live record at " + runEnd + " overlaps " + at + " or leaves segment "
              + srcPath);
        }
        if (runEnd > at) {
          writeAll(out, header(runEnd - at), at - base);
          holes += runEnd - at - SegmentStore.HEADER_BYTES;
        }
        if (k < hi) {
          rec.clear().limit(bytes[k]);
          SegmentStore.readFully(src, rec, runEnd - base, srcPath);
          checkRecord(rec, srcPath, runEnd);
          writeAll(out, rec.flip(), runEnd - base);
          at = runEnd + bytes[k];
        }
      }
      out.force(true);
    }
    return holes;
  }

  /**
   * Bytes of the garbage runs of segment {@code [base, end)} around the live records
   * {@code starts[lo..hi)} that do not start with a padding header covering exactly that run.
   */
  static long unreclaimed(FileChannel ch, Path file, long base, long end, long[] starts, int[] bytes, int lo, int hi)
      throws IOException {
    ByteBuffer head = ByteBuffer.allocate(SegmentStore.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    long unreclaimed = 0;
    long at = base;
    for (int k = lo; k <= hi; k++) {
      long runEnd = k < hi ? starts[k] : end;
      if (runEnd > at) {
        head.clear();
        SegmentStore.readFully(ch, head, at - base, file);
        if (run(head) != runEnd - at) {
          unreclaimed += runEnd - at;
        }
      }
      if (k < hi) {
        at = starts[k] + bytes[k];
      }
    }
    return unreclaimed;
  }

  /**
   * Whether global position {@code pos} lies inside (not at the header of) a padding run of the
   * segment at {@code base}, framed from its start; false when the framing breaks first (damage).
   */
  static boolean inside(FileChannel ch, Path file, long base, long pos) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(SegmentStore.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    long size = ch.size();
    for (long at = 0; at + SegmentStore.HEADER_BYTES <= size && base + at < pos; ) {
      head.clear();
      SegmentStore.readFully(ch, head, at, file);
      long run = run(head);
      int len = head.getInt(4);
      if (run >= 0) {
        if (pos < base + at + run) {
          return true;
        }
        at += run;
      } else if (head.getInt(0) == SegmentStore.MAGIC && len > 0 && len <= SegmentStore.RECORD_PAYLOAD_MAX) {
        at += SegmentStore.HEADER_BYTES + len;
      } else {
        return false;
      }
    }
    return false;
  }

  /** Checks one whole record in {@code rec} (position 0 to its limit) read from global position {@code pos}. */
  private static void checkRecord(ByteBuffer rec, Path file, long pos) {
    int len = rec.getInt(4);
    if (rec.getInt(0) != SegmentStore.MAGIC || len != rec.limit() - SegmentStore.HEADER_BYTES) {
      throw new CorruptRecordException(file, pos, rec.getLong(8), CorruptRecordException.UNKNOWN,
          CorruptRecordException.UNKNOWN, "live record's header says magic " + Integer.toHexString(rec.getInt(0))
          + ", length " + len + " (expected " + (rec.limit() - SegmentStore.HEADER_BYTES) + ")");
    }
    CRC32C c = new CRC32C();
    c.update(rec.array(), 0, 24);
    c.update(rec.array(), SegmentStore.HEADER_BYTES, len);
    if ((int) c.getValue() != rec.getInt(24)) {
      throw new CorruptRecordException(file, pos, rec.getLong(8), rec.getLong(16), rec.getLong(16) + len,
          "checksum mismatch");
    }
  }

  private static void writeAll(FileChannel ch, ByteBuffer src, long filePos) throws IOException {
    while (src.hasRemaining()) {
      ch.write(src, filePos + src.position());
    }
  }
}
