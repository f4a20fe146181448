package io.tributary.state;

import io.tributary.storage.SegmentStore;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Ships a group's latest snapshot to a replica that fell behind the leader's purged log (or lost
 * its data): the metadata snapshot file plus the segment bytes it refers to. Ratis's own file
 * transfer is turned off because it needs an MD5 of every file at snapshot time (O(data)).
 *
 * <p>Stream format (big endian): {@code magic i32 "TRSX" | version i32 | term i64 | index i64 |
 * segmentCount i32 | metadataLength i64 | metadata | (base i64 | length i64 | bytes)*}.
 *
 * <p>Nothing unverified crosses: the sender checks the metadata's CRC and every record's before it
 * sends (a damaged copy is refused, never shipped: the follower's download fails and Ratis asks
 * again, by which time this replica may have repaired it), and the receiver checks them all again
 * after writing them (a byte changed in flight or on its disk rejects the download; nothing of it
 * is installed). Verification reads every byte: {@link #export} and {@link #receive} block on disk
 * I/O and never run on an event loop.
 */
public final class SnapshotTransfer {
  static final int MAGIC = 0x54525358;
  static final int VERSION = 1;
  /** Marks a fully received segment directory, so a crash mid-download is never mistaken for data. */
  static final String COMPLETE_MARKER = "INSTALL-COMPLETE";

  private SnapshotTransfer() {}

  /** What to send: a header, then file ranges in order. */
  public record Export(byte[] header, List<Part> parts, long totalBytes) {}

  /** {@code length} bytes of {@code file} from {@code offset}, optionally preceded by a small header. */
  public record Part(byte[] prefix, Path file, long offset, long length) {}

  static Export export(long term, long index, Path metadata, List<SegmentStore.FileRange> ranges) throws IOException {
    SnapshotCodec.verify(metadata);
    for (SegmentStore.FileRange r : ranges) {
      SegmentStore.verifyFile(r.path(), r.base(), r.length()); // a damaged record throws: nothing is sent
    }
    long metaLen = Files.size(metadata);
    byte[] header = new Wire.Out(64).i32(MAGIC).i32(VERSION).i64(term).i64(index).i32(ranges.size()).i64(metaLen)
        .toByteArray();
    List<Part> parts = new ArrayList<>();
    parts.add(new Part(new byte[0], metadata, 0, metaLen));
    long total = header.length + metaLen;
    for (SegmentStore.FileRange r : ranges) {
      byte[] prefix = new Wire.Out(16).i64(r.base()).i64(r.length()).toByteArray();
      parts.add(new Part(prefix, r.path(), 0, r.length()));
      total += prefix.length + r.length();
    }
    return new Export(header, parts, total);
  }

  /** Result of receiving a snapshot: its term/index and where its metadata file was written. */
  record Received(long term, long index, Path metadata) {}

  /**
   * Reads a snapshot stream: segments into {@code segmentDir} (created fresh, fsync'd, then marked
   * complete) and the metadata into {@code metadataFile}.
   */
  static Received receive(InputStream raw, Path segmentDir, Path metadataFile) throws IOException {
    return receive(raw, segmentDir, metadataFile, -1);
  }

  /**
   * As {@link #receive(InputStream, Path, Path)}, but returns null, having written nothing, when the
   * snapshot's index is at or below {@code appliedIndex}: installing it would move this replica
   * back behind entries it already applied (and its log would then miss the entries in between).
   */
  static Received receive(InputStream raw, Path segmentDir, Path metadataFile, long appliedIndex) throws IOException {
    try {
      return receiveVerified(new DataInputStream(raw), segmentDir, metadataFile, appliedIndex);
    } catch (IOException | io.tributary.storage.StorageException e) {
      // no marker was written and the metadata was not moved into place: nothing of it can be installed
      throw new IOException("snapshot download rejected: " + e.getMessage(), e);
    }
  }

  private static Received receiveVerified(DataInputStream in, Path segmentDir, Path metadataFile, long appliedIndex)
      throws IOException {
    if (in.readInt() != MAGIC || in.readInt() != VERSION) {
      throw new IOException("not a Tributary snapshot stream");
    }
    long term = in.readLong();
    long index = in.readLong();
    if (index <= appliedIndex) {
      return null;
    }
    int n = in.readInt();
    long metaLen = in.readLong();
    Path metaTmp = metadataFile.resolveSibling(metadataFile.getFileName() + ".receiving");
    try (OutputStream o = Files.newOutputStream(metaTmp)) {
      copy(in, o, metaLen);
    }
    SnapshotCodec.verify(metaTmp);
    long end = SnapshotCodec.segmentEnd(metaTmp);
    deleteTree(segmentDir);
    Files.createDirectories(segmentDir);
    long next = -1;
    for (int i = 0; i < n; i++) {
      long base = in.readLong();
      long len = in.readLong();
      if ((next >= 0 && base != next) || base < 0 || len < 0 || base + len > end) {
        throw new IOException("segment " + i + " of " + n + " claims [" + base + ", " + (base + len)
            + "), not contiguous from " + next + " within the metadata's end " + end);
      }
      next = base + len;
      Path f = segmentDir.resolve(SegmentStore.fileName(base));
      try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
        raf.setLength(len); // sparse: the holes of a compacted segment stay holes here
        copySparse(in, raf.getChannel(), len);
        raf.getChannel().force(true);
      }
      SegmentStore.verifyFile(f, base, len);
    }
    if (n > 0 && next != end) {
      throw new IOException("segments end at " + next + " but the metadata refers to " + end);
    }
    // the marker says the segments are whole: written (atomically, with the directory fsync'd
    // that also makes the segments' names durable) only after every segment was fsync'd and verified
    io.tributary.common.DurableFiles.writeAtomically(segmentDir.resolve(COMPLETE_MARKER),
        (term + "_" + index).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    io.tributary.common.DurableFiles.fsyncDirectory(segmentDir.toAbsolutePath().getParent());
    io.tributary.common.DurableFiles.fsync(metaTmp);
    io.tributary.common.DurableFiles.moveDurably(metaTmp, metadataFile);
    return new Received(term, index, metadataFile);
  }

  /** The snapshot index a complete marker names (written as {@code term_index}). */
  static long receivedIndex(Path marker) throws IOException {
    String text = Files.readString(marker).trim();
    int sep = text.indexOf('_');
    try {
      return Long.parseLong(text.substring(sep + 1));
    } catch (NumberFormatException e) {
      throw new IOException("unreadable snapshot install marker " + marker + ": " + text, e);
    }
  }

  /**
   * Copies {@code len} bytes into a file already {@code len} long, skipping the writes of blocks
   * that are all zero: a compacted segment's holes (docs/on-disk-format.md) arrive as zeros and
   * stay unallocated, and a block of zeros reads the same whether written or not.
   */
  public static void copySparse(java.io.InputStream source, FileChannel out, long len) throws IOException {
    DataInputStream in = source instanceof DataInputStream d ? d : new DataInputStream(source);
    byte[] buf = new byte[1 << 16];
    for (long at = 0; at < len; ) {
      int want = (int) Math.min(buf.length, len - at);
      in.readFully(buf, 0, want);
      int from = 0;
      while (from < want) {
        int blockEnd = Math.min(want, from + 4096);
        if (!allZero(buf, from, blockEnd)) {
          java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf, from, blockEnd - from);
          while (b.hasRemaining()) {
            out.write(b, at + b.position());
          }
        }
        from = blockEnd;
      }
      at += want;
    }
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static void copy(DataInputStream in, OutputStream out, long len) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = len;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new IOException("snapshot stream ended " + left + " bytes early");
      }
      out.write(buf, 0, r);
      left -= r;
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
