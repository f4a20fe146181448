package io.tributary.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Finding a segment's damaged records, and rewriting them with a peer's copy. Apply is
 * deterministic, so a healthy replica holds the same record at the same position with the same
 * bytes; a repair therefore needs no translation, only two checks: the peer's records pass their
 * CRC32C, and where this replica's record passes its own check it already equals the peer's byte
 * for byte. A difference there is not damage but divergence, which no repair may paper over.
 * Only the records that differ (the damaged ones) are written, so intact bytes are never touched.
 *
 * <p>Compaction is local, so the two copies may differ in which garbage runs are padding records
 * over holes ({@link SegmentStore#compact}). That is not divergence: a run the peer compacted is
 * garbage to it and nothing is taken from it; a run compacted here keeps its padding record (a
 * peer's record starting at our padding header is never written, and the walk skips the peer's
 * records inside our run). Every run starts and ends on a boundary of the records apply laid
 * down, the same on both sides, so the two framings meet again after each run.
 *
 * <p>Stateless; {@link SegmentStore} calls it with the segment's channel, under its rewrite lock
 * for {@link #apply}. Blocks on disk I/O; memory is bounded by two records (at most
 * {@link SegmentStore#RECORD_PAYLOAD_MAX} each).
 */
public final class RecordPatch {
  private RecordPatch() {}

  /**
   * The damaged records of one segment ({@code records}, in position order) and the global range
   * {@code [from, to)} a repair rewrites; {@code records} empty (and the range empty) when intact.
   */
  public record Damage(long segmentBase, List<CorruptRecordException> records, long from, long to) {
    public boolean intact() {
      return records.isEmpty();
    }
  }

  /** Verifies {@code [base, end)} of a segment, collecting every damaged record (see {@link SegmentStore#damageAround}). */
  static Damage scan(FileChannel ch, Path file, long base, long end) throws IOException {
    List<CorruptRecordException> found = new ArrayList<>();
    long walked = SegmentStore.verify(ch, file, base, 0, end - base, null, found::add);
    if (found.isEmpty()) {
      return new Damage(base, List.of(), end, end);
    }
    CorruptRecordException last = found.get(found.size() - 1);
    long to;
    if (walked < end - base || last.streamFrom() == CorruptRecordException.UNKNOWN) {
      to = end; // a header that cannot be framed hides where the records after it start
    } else {
      to = last.position() + SegmentStore.HEADER_BYTES + (last.streamTo() - last.streamFrom());
    }
    return new Damage(base, List.copyOf(found), found.get(0).position(), to);
  }

  /**
   * Rewrites, in the segment at global position {@code base}, each record of {@code [from, to)}
   * that differs from {@code received} (a file holding exactly that range, already verified), after
   * checking that the local one is damaged; returns how many it rewrote. Does not fsync.
   */
  static int apply(FileChannel ch, Path file, long base, Path received, long from, long to) throws IOException {
    try (FileChannel in = FileChannel.open(received, StandardOpenOption.READ)) {
      if (in.size() != to - from) {
        throw new StorageException("peer copy " + received + " holds " + in.size() + " bytes, not the "
            + (to - from) + " of [" + from + ", " + to + ")");
      }
      ByteBuffer head = ByteBuffer.allocate(SegmentStore.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer myHead = ByteBuffer.allocate(SegmentStore.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      int rewritten = 0;
      long myPaddingEnd = from; // end of the padding run of ours the walk is in (compacted here)
      for (long at = from; at < to; ) {
        head.clear();
        SegmentStore.readFully(in, head, at - from, received);
        long theirPadding = Padding.run(head);
        if (theirPadding >= 0) {
          // garbage the peer compacted: whatever we hold there is garbage to it, nothing to take
          at += theirPadding;
          continue;
        }
        int bytes = SegmentStore.HEADER_BYTES + head.getInt(4);
        if (at >= myPaddingEnd) {
          myHead.clear();
          SegmentStore.readFully(ch, myHead, at - base, file);
          long mine = Padding.run(myHead);
          if (mine >= 0) {
            myPaddingEnd = at + mine; // garbage compacted here: keep our padding, never write over its header
          }
        }
        if (at < myPaddingEnd) {
          at += bytes;
          continue;
        }
        ByteBuffer theirs = ByteBuffer.allocate(bytes);
        SegmentStore.readFully(in, theirs, at - from, received);
        ByteBuffer mine = ByteBuffer.allocate(bytes);
        SegmentStore.readFully(ch, mine, at - base, file);
        if (!Arrays.equals(theirs.array(), mine.array())) {
          if (intactAt(ch, file, at - base)) {
            throw new StorageException("replicas diverge at position " + at + " in " + file + ": the local record "
                + "passes its checksum but differs from the peer's; not repaired (compare the replicas' segments)");
          }
          theirs.flip();
          while (theirs.hasRemaining()) {
            ch.write(theirs, at - base + theirs.position());
          }
          rewritten++;
        }
        at += bytes;
      }
      return rewritten;
    }
  }

  /** Whether the record at {@code filePos}, framed by its own header, passes its check. */
  private static boolean intactAt(FileChannel ch, Path file, long filePos) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(SegmentStore.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    SegmentStore.readFully(ch, head, filePos, file);
    int len = head.getInt(4);
    if (head.getInt(0) != SegmentStore.MAGIC || len <= 0 || len > SegmentStore.RECORD_PAYLOAD_MAX
        || filePos + SegmentStore.HEADER_BYTES + len > ch.size()) {
      return false;
    }
    ByteBuffer payload = ByteBuffer.allocate(len);
    SegmentStore.readFully(ch, payload, filePos + SegmentStore.HEADER_BYTES, file);
    CRC32C c = new CRC32C();
    c.update(head.array(), 0, 24);
    c.update(payload.array(), 0, len);
    return (int) c.getValue() == head.getInt(24);
  }
}
