package io.tributary.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One group's hot data: append-only segment files holding records of stream bytes. Positions are
 * global across the group's segments (a segment file is named by the position of its first byte),
 * so an index entry is one long.
 *
 * <p>Record layout (little endian), see docs/on-disk-format.md:
 * {@code magic u32 | payloadLength u32 | streamId u64 | streamOffset u64 | crc32c u32 | reserved u32 | payload}.
 * The CRC32C covers the first 24 header bytes and the payload; it is verified on every disk read.
 *
 * <p>Durability: records are written (not fsync'd) when a Raft entry is applied; the Raft log is
 * the durable copy until {@link #sync} runs at snapshot time. On restart the store is truncated to
 * the end recorded in the snapshot and the log tail is re-applied, re-writing the same bytes.
 *
 * <p>Dropping (cold tier): {@link #dropBelow} deletes the oldest segment files once every record
 * in them is in the object store (or garbage) and the hot budget is exceeded. It never drops the
 * last segment, nor one reaching past the end recorded by the latest metadata snapshot (restart
 * truncates to that end and re-applies the log after it, which must find the segment layout it
 * left). A read of a dropped record throws {@link SegmentGoneException}; the caller reads the
 * cold copy instead.
 *
 * <p>Reclaiming (no cold tier): {@link #reclaimBelow} deletes the oldest segment files whose every
 * record is garbage (removed, expired or retention-trimmed streams, replaced snapshot blobs), up
 * to the end of the previous retained snapshot. Readers, the scrub, repair and snapshot export
 * see the same dropped prefix as after tiering; nothing asks for its records any more.
 *
 * <p>Compaction (no cold tier): {@link #compact} rewrites a sealed segment whose garbage is
 * interleaved with live records into a sparse file with the live records at the same offsets and
 * each maximal garbage run replaced by one padding record (a 32-byte header saying how long the
 * run is) followed by a hole the file system does not allocate. Every position stays where it
 * was, so index entries, snapshots and peers' copies stay valid; every scanner steps over a
 * padding record in one jump; no index entry points into a run. Layout: {@link Padding}.
 *
 * <p>Repair ({@link #patch}): a record below the published end that fails its check is rewritten
 * in place with a peer's verified copy (positions and bytes are identical on every replica). It
 * is the only write below the published end besides truncation, which re-writes the same bytes.
 *
 * <p>Threads: {@link #append}, {@link #sync}, {@link #truncateTo} on the group's apply thread only;
 * {@link #dropBelow} on the cold tier's thread, {@link #reclaimBelow} and {@link #compact} on the
 * reclaim thread; the segment array is replaced under {@code segmentsLock} by all three, and
 * {@link #compact} swaps a segment's file and channel under {@code rewriteLock} too.
 * {@link #beginEntry}/{@link #endEntry} on the apply thread; {@link #version()} and
 * {@link #settledEnd()} (volatile) are read by the reclaim thread. {@link #patch} on the repair thread: its positional writes land
 * below the published end, apart from apply's (at or above it) on the same channel, and
 * {@code rewriteLock} orders it with truncation and with closing a dropped segment, so a patch
 * never writes past a truncation or into a closed channel unnoticed. {@link #read}/{@link #readCached}
 * on any thread for positions below {@link #publishedEnd()}.
 */
public final class SegmentStore implements AutoCloseable {
  public static final int HEADER_BYTES = 32;
  /** Records hold at most this much payload; larger appends become several records. */
  public static final int RECORD_PAYLOAD_MAX = 1024 * 1024;
  static final int MAGIC = 0x54524231; // "TRB1"
  /** A compaction in progress writes here; a leftover one (crash) is deleted at open. */
  static final String COMPACTING_SUFFIX = ".compacting";
  /** Write-behind buffer for appended records (off-heap, one per group); larger records bypass it. */
  static final int PENDING_BYTES_MAX = 128 * 1024;

  private record Segment(long base, Path path, FileChannel channel) {}

  private final Path dir;
  private final long segmentBytesMax;
  private final TailCache cache;
  private final BlockReadCache blocks;
  private volatile Segment[] segments = new Segment[0];
  private final Object segmentsLock = new Object();
  /** Held by {@link #patch}, {@link #truncateTo} and while {@link #dropBelow} closes a segment (rare, all three). */
  private final Object rewriteLock = new Object();
  /** Segment end recorded by the latest metadata snapshot: nothing reaching past it is dropped. */
  private volatile long snapshotEnd;
  /**
   * Segment end recorded by the previous retained metadata snapshot (0 when unknown): a fallback
   * from a damaged latest snapshot truncates to it and re-applies the log from there, so
   * {@link #reclaimBelow} drops nothing reaching past it.
   */
  private volatile long previousSnapshotEnd;
  /**
   * Entries applied (or being applied) to the state this store belongs to, counted from when the
   * store was opened: {@link #beginEntry} at the start of each. Garbage seen in published views
   * read before this counter is garbage in any state taken at or after its value.
   */
  private volatile long version;
  /** {@link #version} when the latest metadata snapshot was taken or loaded. */
  private volatile long snapshotVersion = -1;
  /**
   * {@link #version} when the previous retained metadata snapshot was taken; -1 when unknown (a
   * snapshot loaded at open: its predecessor's state is older than anything counted here).
   */
  private volatile long previousSnapshotVersion = -1;
  /**
   * The end of the records of every entry whose views are all published ({@link #endEntry}): a
   * record below it is in the published views of its stream (or was, and is garbage now), so the
   * live records read from views are complete below it. Set at truncation (the views then come
   * from the snapshot that end belongs to); 0 until then.
   */
  private volatile long settledEnd;
  /** {@link #version} at the last truncation: garbage seen at or before it no longer counts. */
  private volatile long resetVersion;
  private long end;
  private volatile long publishedEnd;
  /** Records below it are durable (fsync'd, and their files' names in the directory). Written under {@code this}. */
  private volatile long syncedEnd;
  private final ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  /**
   * Records appended but not yet written to {@link #pendingSegment}, starting at global position
   * {@link #pendingStart}. Written with one positional write by {@link #publish} (once per applied
   * Raft entry), {@link #sync}, a segment switch, or when full: one write system call per entry
   * instead of a seek and a write per append, which showed in profiles. Apply thread only.
   */
  private final ByteBuffer pending = ByteBuffer.allocateDirect(PENDING_BYTES_MAX);
  private long pendingStart;
  private Segment pendingSegment;

  public SegmentStore(Path dir, long segmentBytesMax, long tailCacheBytes) {
    this(dir, segmentBytesMax, tailCacheBytes, 0);
  }

  /** @param readCacheBytes bound of the {@link BlockReadCache} shared by this store's disk reads (0: none) */
  public SegmentStore(Path dir, long segmentBytesMax, long tailCacheBytes, long readCacheBytes) {
    this.dir = dir;
    this.segmentBytesMax = segmentBytesMax;
    this.cache = new TailCache(tailCacheBytes);
    this.blocks = new BlockReadCache(readCacheBytes);
    try {
      io.tributary.common.DurableFiles.createDirectories(dir);
      List<Segment> found = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + COMPACTING_SUFFIX)) {
        for (Path p : ds) {
          Files.delete(p); // a compaction cut short: the segment it would have replaced is intact
        }
      }
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.seg")) {
        for (Path p : ds) {
          found.add(new Segment(baseOf(p), p, FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)));
        }
      }
      found.sort((a, b) -> Long.compare(a.base, b.base));
      segments = found.toArray(new Segment[0]);
      if (!found.isEmpty()) {
        Segment last = found.get(found.size() - 1);
        end = last.base + last.channel.size();
      }
    } catch (IOException e) {
      throw new StorageException("cannot open segments in " + dir, e);
    }
    publishedEnd = end;
    syncedEnd = end;
  }

  /** Global end position of written records (apply thread). */
  public long end() {
    return end;
  }

  /** End position readers may read below. */
  public long publishedEnd() {
    return publishedEnd;
  }

  /**
   * Appends one record for {@code [streamOffset, streamOffset+len)} of a stream; returns the
   * record's global position. {@code len} must be at most {@link #RECORD_PAYLOAD_MAX}.
   */
  public long append(long streamId, long streamOffset, byte[] data, int off, int len) {
    if (len <= 0 || len > RECORD_PAYLOAD_MAX) {
      throw new IllegalArgumentException("record payload length " + len);
    }
    Segment seg = activeSegmentFor(HEADER_BYTES + len);
    long pos = end;
    header.clear();
    header.putInt(MAGIC).putInt(len).putLong(streamId).putLong(streamOffset);
    crc.reset();
    crc.update(header.array(), 0, 24);
    crc.update(data, off, len);
    header.putInt((int) crc.getValue()).putInt(0);
    header.flip();
    int recordBytes = HEADER_BYTES + len;
    if (pending.position() > 0 && (pendingSegment != seg || pending.remaining() < recordBytes)) {
      flush();
    }
    if (recordBytes <= pending.capacity()) {
      if (pending.position() == 0) {
        pendingStart = pos;
        pendingSegment = seg;
      }
      pending.put(header).put(data, off, len);
    } else {
      writeFully(seg, pos, new ByteBuffer[] {header, ByteBuffer.wrap(data, off, len)}, recordBytes);
    }
    cache.write(pos, header.array(), 0, HEADER_BYTES);
    cache.write(pos + HEADER_BYTES, data, off, len);
    end = pos + HEADER_BYTES + len;
    return pos;
  }

  /** Makes everything appended so far visible to readers (writes it to the segment file first). */
  public void publish() {
    flush();
    publishedEnd = end;
  }

  /** Writes the buffered records to their segment file (not fsync'd). */
  private void flush() {
    if (pending.position() == 0) {
      return;
    }
    pending.flip();
    int bytes = pending.remaining();
    try {
      long filePos = pendingStart - pendingSegment.base;
      int written = 0;
      while (written < bytes) {
        written += pendingSegment.channel.write(pending, filePos + written);
      }
    } catch (IOException e) {
      throw new StorageException("write failed at " + pendingStart + " in " + pendingSegment.path, e);
    } finally {
      pending.clear();
    }
  }

  private static void writeFully(Segment seg, long pos, ByteBuffer[] bufs, long want) {
    try {
      long filePos = pos - seg.base;
      long written = 0;
      while (written < want) {
        seg.channel.position(filePos + written);
        written += seg.channel.write(bufs);
      }
    } catch (IOException e) {
      throw new StorageException("write failed at " + pos + " in " + seg.path, e);
    }
  }

  private Segment activeSegmentFor(int recordBytes) {
    Segment[] segs = segments;
    Segment last = segs.length == 0 ? null : segs[segs.length - 1];
    if (last != null && end - last.base + recordBytes <= segmentBytesMax) {
      return last;
    }
    if (last != null && end == last.base) {
      return last; // an empty segment takes a record of any size
    }
    Path p = dir.resolve(fileName(end));
    try {
      Segment s = new Segment(end, p, FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE));
      synchronized (segmentsLock) {
        Segment[] cur = segments; // dropBelow may have removed old ones since we looked
        Segment[] next = Arrays.copyOf(cur, cur.length + 1);
        next[cur.length] = s;
        segments = next;
      }
      return s;
    } catch (IOException e) {
      throw new StorageException("cannot create segment " + p, e);
    }
  }

  /** Forces written records to disk (snapshot time). Apply thread. */
  public void sync() {
    syncBelow(flushForSnapshot());
  }

  /**
   * Writes out the records the apply thread still buffers and returns the end a snapshot taken now
   * refers to; {@link #syncBelow} with it then makes them durable on another thread while the
   * apply thread goes on appending. Apply thread.
   */
  public long flushForSnapshot() {
    flush();
    return end;
  }

  /**
   * Forces every segment holding written bytes below {@code to} that are not yet known durable,
   * then the directory. Any thread (the snapshot writer runs it while the apply thread appends
   * beyond {@code to}; forcing those bytes too is harmless); one caller at a time.
   */
  public synchronized void syncBelow(long to) {
    if (syncedEnd >= to) {
      return;
    }
    try {
      for (Segment s : segments) {
        if (s.base >= to) {
          break;
        }
        try {
          if (s.base + s.channel.size() > syncedEnd) {
            s.channel.force(false);
          }
        } catch (java.nio.channels.ClosedChannelException e) {
          // dropped, or replaced by compact (which fsync'd the new file): an old segment, below syncedEnd
        }
      }
      // segment files created since the last sync are durable by name only once the directory is:
      // the snapshot about to refer to them lets the engine purge the log that could rewrite them
      io.tributary.common.DurableFiles.fsyncDirectory(dir);
    } catch (IOException e) {
      throw new StorageException("fsync failed in " + dir, e);
    }
    syncedEnd = to;
  }

  /** Drops every byte at or after {@code newEnd} (restart after a crash, or install-snapshot). */
  public void truncateTo(long newEnd) {
    synchronized (rewriteLock) {
      truncateLocked(newEnd);
    }
  }

  private void truncateLocked(long newEnd) {
    flush();
    try {
      List<Segment> keep = new ArrayList<>();
      for (Segment s : segments) {
        if (s.base >= newEnd) {
          s.channel.close();
          Files.deleteIfExists(s.path);
        } else {
          if (s.base + s.channel.size() > newEnd) {
            s.channel.truncate(newEnd - s.base);
            s.channel.force(true);
          }
          keep.add(s);
        }
      }
      synchronized (segmentsLock) {
        segments = keep.toArray(new Segment[0]);
      }
      io.tributary.common.DurableFiles.fsyncDirectory(dir);
    } catch (IOException e) {
      throw new StorageException("truncate to " + newEnd + " failed in " + dir, e);
    }
    cache.clear();
    blocks.clear();
    // the state went back to a snapshot's: garbage seen before may be live again until re-applied
    resetVersion = version;
    settledEnd = newEnd;
    end = newEnd;
    synchronized (this) {
      syncedEnd = Math.min(syncedEnd, newEnd);
    }
    publishedEnd = newEnd;
  }

  /**
   * Copies {@code len} payload bytes starting {@code payloadOffset} into the record at
   * {@code recordPos}, from memory only; returns false if any part is not cached.
   */
  public boolean readCached(long recordPos, int payloadOffset, byte[] dst, int dstOff, int len) {
    return cache.read(recordPos + HEADER_BYTES + payloadOffset, dst, dstOff, len);
  }

  /**
   * Copies payload bytes of one record of {@code payloadLen} bytes into {@code dst}: from the tail
   * cache when possible, else the whole record (header and payload) from disk, verified: through
   * the {@link BlockReadCache} when the record fits a block, else with one positional read. The
   * caller knows the stream, the record's stream offset and its length from the stream's index; a
   * header saying otherwise is corruption (a record that is intact but not the one the index
   * points at, e.g. a misplaced write, is caught here, not served). May block on disk I/O.
   */
  public void read(long recordPos, long expectStreamId, long expectStreamOffset, int payloadLen, int payloadOffset,
      byte[] dst, int dstOff, int len) {
    if (readCached(recordPos, payloadOffset, dst, dstOff, len)) {
      return;
    }
    Segment seg = segmentAt(recordPos);
    try {
      readSegment(seg, recordPos, expectStreamId, expectStreamOffset, payloadLen, payloadOffset, dst, dstOff, len);
    } catch (SegmentGoneException e) {
      Segment now = segmentAt(recordPos); // throws when the segment was dropped, not replaced
      if (now == seg) {
        throw e;
      }
      // compact replaced the file under the read: the record is at the same offset in the new one
      readSegment(now, recordPos, expectStreamId, expectStreamOffset, payloadLen, payloadOffset, dst, dstOff, len);
    }
  }

  private void readSegment(Segment seg, long recordPos, long expectStreamId, long expectStreamOffset, int payloadLen,
      int payloadOffset, byte[] dst, int dstOff, int len) {
    if (payloadLen <= 0 || payloadLen > RECORD_PAYLOAD_MAX || payloadOffset + (long) len > payloadLen) {
      throw new StorageException("record at " + recordPos + " in " + seg.path + ": asked for [" + payloadOffset + ", "
          + (payloadOffset + (long) len) + ") of a " + payloadLen + "-byte payload");
    }
    int recordBytes = HEADER_BYTES + payloadLen;
    ByteBuffer rec;
    if (blocks.enabled() && recordBytes <= BlockReadCache.BLOCK_BYTES) {
      rec = readThroughBlocks(seg, recordPos - seg.base, recordBytes).order(ByteOrder.LITTLE_ENDIAN);
    } else {
      rec = ByteBuffer.allocate(recordBytes).order(ByteOrder.LITTLE_ENDIAN);
      read(seg, recordPos - seg.base, rec, recordBytes);
    }
    int magic = rec.getInt(0);
    int plen = rec.getInt(4);
    long sid = rec.getLong(8);
    long streamOffset = rec.getLong(16);
    int storedCrc = rec.getInt(24);
    if (magic != MAGIC || plen != payloadLen || sid != expectStreamId || streamOffset != expectStreamOffset) {
      throw new CorruptRecordException(seg.path, recordPos, expectStreamId, CorruptRecordException.UNKNOWN,
          CorruptRecordException.UNKNOWN, "header says magic " + Integer.toHexString(magic) + ", length " + plen
          + " (expected " + payloadLen + "), stream " + sid + " at offset " + streamOffset + " (expected "
          + expectStreamOffset + ")");
    }
    int base = rec.arrayOffset(); // a record inside one cached block is read in place
    CRC32C c = new CRC32C();
    c.update(rec.array(), base, 24);
    c.update(rec.array(), base + HEADER_BYTES, plen);
    if ((int) c.getValue() != storedCrc) {
      throw new CorruptRecordException(seg.path, recordPos, expectStreamId, CorruptRecordException.UNKNOWN,
          CorruptRecordException.UNKNOWN, "checksum mismatch");
    }
    System.arraycopy(rec.array(), base + HEADER_BYTES + payloadOffset, dst, dstOff, len);
  }

  private Segment segmentAt(long pos) {
    Segment[] segs = segments;
    int lo = 0;
    int hi = segs.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (segs[mid].base <= pos) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (hi < 0) {
      throw new SegmentGoneException("no segment holds position " + pos + " in " + dir + " (dropped after tiering or reclaimed)");
    }
    return segs[hi];
  }

  /**
   * {@code len} bytes of a segment at {@code filePos} from cached blocks and blocks read now: a view
   * of the block when one holds them all (blocks are never written after they are cached), else
   * a copy assembled from two.
   */
  private ByteBuffer readThroughBlocks(Segment seg, long filePos, int len) {
    long first = filePos / BlockReadCache.BLOCK_BYTES;
    int inFirst = (int) (filePos - first * BlockReadCache.BLOCK_BYTES);
    if (inFirst + len <= BlockReadCache.BLOCK_BYTES) {
      BlockReadCache.Block b = block(seg, first, inFirst + len);
      return ByteBuffer.wrap(b.bytes(), inFirst, len).slice();
    }
    byte[] out = new byte[len];
    for (int done = 0; done < len; ) {
      long p = filePos + done;
      long n = p / BlockReadCache.BLOCK_BYTES;
      int inBlock = (int) (p - n * BlockReadCache.BLOCK_BYTES);
      int want = Math.min(len - done, BlockReadCache.BLOCK_BYTES - inBlock);
      System.arraycopy(block(seg, n, inBlock + want).bytes(), inBlock, out, done, want);
      done += want;
    }
    return ByteBuffer.wrap(out);
  }

  /** Block {@code n} of a segment holding at least {@code minLength} bytes: cached, else read now. */
  private BlockReadCache.Block block(Segment seg, long n, int minLength) {
    BlockReadCache.Block b = blocks.get(seg.base, n, minLength);
    return b != null ? b : loadBlock(seg, n, minLength);
  }

  /** Reads block {@code n} of a segment, as far as published bytes go, and caches it. */
  private BlockReadCache.Block loadBlock(Segment seg, long n, int minLength) {
    long blockStart = n * BlockReadCache.BLOCK_BYTES;
    int length = (int) Math.min(BlockReadCache.BLOCK_BYTES, publishedEnd - seg.base - blockStart);
    ByteBuffer buf = ByteBuffer.allocate(Math.max(length, minLength));
    long epoch = blocks.epoch();
    int got = read(seg, blockStart, buf, minLength); // the segment's file may end before the block does
    BlockReadCache.Block b = new BlockReadCache.Block(seg.base, n, buf.array(), got);
    blocks.put(b, epoch);
    return b;
  }

  /**
   * Reads from {@code filePos} into {@code dst} until it is full or the file ends; returns the bytes
   * read, which must be at least {@code atLeast}.
   */
  private static int read(Segment seg, long filePos, ByteBuffer dst, int atLeast) {
    try {
      while (dst.hasRemaining()) {
        int n = seg.channel.read(dst, filePos + dst.position());
        if (n < 0) {
          break;
        }
      }
      if (dst.position() < atLeast) {
        throw new StorageException("unexpected end of " + seg.path + " at " + (filePos + dst.position()));
      }
      return dst.position();
    } catch (java.nio.channels.ClosedChannelException e) {
      throw new SegmentGoneException("segment " + seg.path + " was dropped while being read at " + filePos);
    } catch (IOException e) {
      throw new StorageException("read failed in " + seg.path + " at " + filePos, e);
    }
  }

  /**
   * Records the segment end of the latest metadata snapshot (apply thread, after writing or
   * loading it); the one it replaces becomes the previous snapshot's end.
   */
  public void markSnapshotEnd(long end) {
    markSnapshotEnd(end, version);
  }

  /**
   * Records the segment end of a metadata snapshot of the state at {@link #version()}
   * {@code takenAtVersion}, written since on another thread (the snapshot writer, while the apply
   * thread went on): garbage seen after that version is not garbage in that snapshot's state.
   */
  public synchronized void markSnapshotEnd(long end, long takenAtVersion) {
    previousSnapshotEnd = Math.min(snapshotEnd, end);
    snapshotEnd = end;
    previousSnapshotVersion = snapshotVersion;
    snapshotVersion = takenAtVersion;
  }

  /** Apply thread, after every view of an applied entry is published (see {@link #settledEnd()}). */
  public void endEntry() {
    settledEnd = publishedEnd;
  }

  /**
   * End of the records whose streams' views are published: the live records of segments below it,
   * read from views after reading this, are complete. Any thread.
   */
  public long settledEnd() {
    return settledEnd;
  }

  /** Apply thread, at the start of every applied entry (see {@link #version()}). */
  public void beginEntry() {
    version++;
  }

  /**
   * How many entries were applied (or are being applied) since this store was opened. Read after
   * reading published views: whatever those views call garbage is garbage at this version and
   * every later one. Any thread.
   */
  public long version() {
    return version;
  }

  /**
   * {@link #version()} at which the previous retained metadata snapshot was taken (-1: unknown, or
   * none). Garbage seen at or below it is garbage in both retained snapshots, so {@link #compact}
   * may reclaim it. Any thread.
   */
  public long previousSnapshotVersion() {
    return previousSnapshotVersion;
  }

  /** {@link #version()} at the last truncation: a plan seen at or before it is void. Any thread. */
  public long resetVersion() {
    return resetVersion;
  }

  /** {@link #version()} at which the latest metadata snapshot was taken or loaded. Any thread. */
  public long snapshotVersion() {
    return snapshotVersion;
  }

  /**
   * Records the segment end of the snapshot retained before the latest one, read from its file at
   * load (0: none is retained). Apply thread, after {@link #markSnapshotEnd}.
   */
  public void markPreviousSnapshotEnd(long end) {
    previousSnapshotEnd = Math.min(end, snapshotEnd);
    previousSnapshotVersion = -1; // its state predates this store's count: compaction waits for two new snapshots
  }

  /** Segment end recorded by the previous retained metadata snapshot (0 when none). Any thread. */
  public long previousSnapshotEnd() {
    return previousSnapshotEnd;
  }

  /** Segment end recorded by the latest metadata snapshot. Any thread. */
  public long snapshotEnd() {
    return snapshotEnd;
  }

  /** End of the oldest segment if it is not the last one (so could be dropped), else -1. Any thread. */
  public long oldestSegmentEnd() {
    Segment[] segs = segments;
    return segs.length < 2 ? -1 : segs[1].base;
  }

  /** Position of the first byte still on disk ({@link #end()} when there is none). Any thread. */
  public long firstPosition() {
    Segment[] segs = segments;
    return segs.length == 0 ? publishedEnd : segs[0].base;
  }

  /**
   * Deletes the oldest segments while the hot bytes exceed {@code keepBytes}, each only if it
   * ends at or below {@code below} (every record under it is cold or garbage) and at or below
   * the latest snapshot's end, and is not the last segment. Returns the bytes dropped. Called on
   * the cold tier's thread.
   */
  public long dropBelow(long below, long keepBytes) {
    return dropOldest(Math.min(below, snapshotEnd), keepBytes);
  }

  /**
   * Reclamation on a node that does not tier: deletes the oldest segments whose every record is
   * garbage (they end at or below {@code below}, the group's hot low watermark), never one
   * reaching past the end recorded by the <em>previous</em> retained metadata snapshot (a
   * fallback from a damaged latest snapshot re-applies the log from there), never the last
   * segment. Returns the bytes dropped. Called on the reclaim thread.
   */
  public long reclaimBelow(long below) {
    return dropOldest(Math.min(below, previousSnapshotEnd), 0);
  }

  private long dropOldest(long limit, long keepBytes) {
    long dropped = 0;
    while (true) {
      Segment victim;
      long size;
      synchronized (segmentsLock) {
        Segment[] segs = segments;
        if (segs.length < 2 || publishedEnd - segs[0].base <= keepBytes) {
          return dropped;
        }
        victim = segs[0];
        size = segs[1].base - victim.base; // segments are contiguous: the next one starts where this ends
        if (victim.base + size > limit) {
          return dropped;
        }
        segments = Arrays.copyOfRange(segs, 1, segs.length);
      }
      try {
        synchronized (rewriteLock) { // a patch that found the segment before it left the array finishes first
          victim.channel.close();
          Files.deleteIfExists(victim.path);
        }
      } catch (IOException e) {
        throw new StorageException("cannot drop segment " + victim.path, e);
      }
      dropped += size;
    }
  }

  /** First positions of the segment files held, oldest first (the last one is being written). Any thread. */
  public long[] segmentBases() {
    Segment[] segs = segments;
    long[] out = new long[segs.length];
    for (int i = 0; i < segs.length; i++) {
      out[i] = segs[i].base;
    }
    return out;
  }

  /**
   * Bytes of the garbage runs of segment {@code [base, end)} (around the live records
   * {@code starts[lo..hi)}, {@code bytes} each, sorted) that are not reclaimed yet: every run
   * whose first bytes are not a padding record covering exactly that run. Reads one header per
   * run; reclaim thread. 0 when the segment is gone.
   */
  public long unreclaimedGarbage(long base, long end, long[] starts, int[] bytes, int lo, int hi) {
    Segment seg = segmentWithBase(base);
    if (seg == null) {
      return 0;
    }
    try {
      return Padding.unreclaimed(seg.channel, seg.path, base, end, starts, bytes, lo, hi);
    } catch (java.nio.channels.ClosedChannelException e) {
      return 0; // dropped or compacted meanwhile: the next pass looks again
    } catch (IOException e) {
      throw new StorageException("cannot read " + seg.path, e);
    }
  }

  private Segment segmentWithBase(long base) {
    for (Segment s : segments) {
      if (s.base == base) {
        return s;
      }
    }
    return null;
  }

  /**
   * Compaction of the sealed segment starting at {@code base}: writes a new file of the same
   * length holding its live records ({@code starts[lo..hi)}, {@code bytes} each, sorted, each a
   * whole record as its header says) at their offsets, a padding record at the start of every
   * run between them and a hole after it; fsyncs it, renames it over the segment, fsyncs the
   * directory and swaps the channel (a read racing with the swap retries on the new one).
   *
   * <p>Refuses (returns -1, writes nothing) unless the live set was seen at a {@code planVersion}
   * at or below the previous retained snapshot's {@link #previousSnapshotVersion} and after the
   * last truncation, and the segment ends at or below that snapshot's end: then every byte of
   * the runs is garbage in both retained snapshots, and a fallback or restart that re-applies
   * the log from either never rewrites it. Throws {@link CorruptRecordException} when a live
   * record fails its check (nothing replaced: repair comes first). Returns the bytes now in
   * holes. Reclaim thread; blocks on disk I/O; memory bounded by one record.
   */
  public long compact(long base, long[] starts, int[] bytes, int lo, int hi, long planVersion) {
    Segment seg = null;
    long size = 0;
    Segment[] segs = segments;
    for (int i = 0; i + 1 < segs.length; i++) {
      if (segs[i].base == base) {
        seg = segs[i];
        size = segs[i + 1].base - base;
      }
    }
    if (seg == null || planVersion > previousSnapshotVersion || planVersion <= resetVersion
        || base + size > previousSnapshotEnd) {
      return -1;
    }
    Path tmp = dir.resolve(fileName(base) + COMPACTING_SUFFIX);
    long holes;
    try {
      holes = Padding.writeCompacted(seg.channel, seg.path, base, size, tmp, starts, bytes, lo, hi);
      synchronized (rewriteLock) { // orders with patch and truncation, which write through the channel
        Segment now = segmentWithBase(base);
        if (now != seg) {
          Files.deleteIfExists(tmp); // dropped (or compacted) meanwhile
          return -1;
        }
        Files.move(tmp, seg.path, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        io.tributary.common.DurableFiles.fsyncDirectory(dir);
        Segment fresh = new Segment(base, seg.path, FileChannel.open(seg.path, StandardOpenOption.READ,
            StandardOpenOption.WRITE));
        synchronized (segmentsLock) {
          Segment[] cur = segments.clone();
          for (int i = 0; i < cur.length; i++) {
            if (cur[i] == seg) {
              cur[i] = fresh;
            }
          }
          segments = cur;
        }
        seg.channel.close();
      }
    } catch (java.nio.channels.ClosedChannelException e) {
      deleteQuietly(tmp);
      return -1; // the segment was dropped while being copied
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new StorageException("compaction of " + seg.path + " failed", e);
    } catch (RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
    blocks.forget(base, 0, size);
    return holes;
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a leftover temp file is deleted at the next open; the failure that got us here is what counts
    }
  }

  /** One segment file's bytes below some end: {@code [base, base + length)} of the global space. */
  public record FileRange(Path path, long base, long length) {}

  /** The segment files covering {@code [0, end)}, for shipping a snapshot to another replica. Any thread. */
  public List<FileRange> ranges(long end) {
    List<FileRange> out = new ArrayList<>();
    for (Segment s : segments) {
      if (s.base >= end) {
        break;
      }
      long len;
      try {
        len = Math.min(s.channel.size(), end - s.base);
      } catch (IOException e) {
        throw new StorageException("cannot size " + s.path, e);
      }
      out.add(new FileRange(s.path, s.base, len));
    }
    return out;
  }

  /**
   * Checks every record in {@code [0, length)} of a segment file whose first byte is at global
   * position {@code base}: magic, a payload length that fits the range, and the CRC32C. The range
   * must end on a record boundary. Returns the bytes verified; throws
   * {@link CorruptRecordException} at the first record that fails (stream range unknown: the
   * header that would say it is not trusted). Reads the file sequentially with a bounded buffer;
   * blocks on disk I/O, so never on an event loop. Used before a snapshot's segments are sent,
   * after they are received, and by the scrub.
   */
  public static long verifyFile(Path file, long base, long length) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return verify(ch, file, base, 0, length, null, null);
    } catch (IOException e) {
      throw new StorageException("cannot verify " + file, e);
    }
  }

  /** Pacing of a long verification: called with the bytes of each record verified (the scrub sleeps in it). */
  public interface Pacer {
    void verified(long bytes) throws InterruptedException;
  }

  /**
   * Verifies the records of {@code [from, to)} of an open segment channel (file offsets, {@code from}
   * on a record boundary); returns the bytes walked. A damaged record throws, or with
   * {@code onDamage} is reported and skipped when its header still says how long it is (else the
   * walk stops there: the rest of the range cannot be framed).
   */
  static long verify(FileChannel ch, Path file, long base, long from, long to, Pacer pacer,
      java.util.function.Consumer<CorruptRecordException> onDamage) throws IOException {
    // Records are read through one window that holds any whole record: one pread per window, not
    // two per record (the scrub of 256-byte records spent a tenth of a loaded node's CPU in pread).
    ReadWindow w = new ReadWindow(ch, file, (int) Math.min(HEADER_BYTES + RECORD_PAYLOAD_MAX, to - from));
    CRC32C c = new CRC32C();
    long at = from;
    while (at < to) {
      if (to - at < HEADER_BYTES) {
        throw new CorruptRecordException(file, base + at, -1, CorruptRecordException.UNKNOWN,
            CorruptRecordException.UNKNOWN, "range ends " + (to - at) + " bytes into a record header");
      }
      ByteBuffer head = w.view(at, HEADER_BYTES, to);
      int magic = head.getInt(0);
      if (magic == Padding.MAGIC) {
        long run = Padding.run(head);
        if (run < 0 || at + run > to) {
          CorruptRecordException e = new CorruptRecordException(file, base + at, -1, CorruptRecordException.UNKNOWN,
              CorruptRecordException.UNKNOWN, "padding header damaged or reaching past " + (base + to) + " (run " + run + ")");
          if (onDamage == null) {
            throw e;
          }
          onDamage.accept(e);
          return at - from;
        }
        at += run; // reclaimed garbage: a hole, nothing to check
        continue;
      }
      int len = head.getInt(4);
      long sid = head.getLong(8);
      if (magic != MAGIC || len <= 0 || len > RECORD_PAYLOAD_MAX || at + HEADER_BYTES + len > to) {
        CorruptRecordException e = new CorruptRecordException(file, base + at, sid, CorruptRecordException.UNKNOWN,
            CorruptRecordException.UNKNOWN, "header says magic " + Integer.toHexString(magic) + ", length " + len);
        if (onDamage == null) {
          throw e;
        }
        onDamage.accept(e);
        return at - from;
      }
      long streamOffset = head.getLong(16);
      int crc = head.getInt(24);
      ByteBuffer record = w.view(at, HEADER_BYTES + len, to);
      c.reset();
      c.update(record.array(), record.arrayOffset(), 24);
      c.update(record.array(), record.arrayOffset() + HEADER_BYTES, len);
      if ((int) c.getValue() != crc) {
        CorruptRecordException e = new CorruptRecordException(file, base + at, sid, streamOffset,
            streamOffset + len, "checksum mismatch");
        if (onDamage == null) {
          throw e;
        }
        onDamage.accept(e);
      }
      at += HEADER_BYTES + len;
      if (pacer != null) {
        try {
          pacer.verified(HEADER_BYTES + len);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("verification of " + file + " interrupted at " + (base + at));
        }
      }
    }
    return at - from;
  }

  /**
   * A sequential reader's buffer over one file: {@link #view} returns bytes {@code [pos, pos+n)}
   * from memory, refilling the buffer from {@code pos} (up to the range's end) when they are not
   * all in it. Its capacity holds the largest record, so every view is one contiguous slice.
   * Confined to the verifying thread.
   */
  private static final class ReadWindow {
    private final FileChannel ch;
    private final Path file;
    private final ByteBuffer buf;
    private long start;
    private int filled;

    ReadWindow(FileChannel ch, Path file, int capacity) {
      this.ch = ch;
      this.file = file;
      this.buf = ByteBuffer.allocate(Math.max(capacity, HEADER_BYTES));
    }

    ByteBuffer view(long pos, int n, long rangeEnd) throws IOException {
      if (pos < start || pos + n > start + filled) {
        buf.clear().limit((int) Math.min(buf.capacity(), rangeEnd - pos));
        readFully(ch, buf, pos, file);
        start = pos;
        filled = buf.limit();
      }
      return ByteBuffer.wrap(buf.array(), (int) (pos - start), n).slice().order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  /**
   * Scrub step: verifies the records from global position {@code from} (a record boundary, as a
   * previous step returned, or 0) for at least {@code bytesMax} bytes or to the published end,
   * reporting each damaged record to {@code onDamage}; returns the position to continue from
   * ({@link #publishedEnd()} or beyond when the pass is complete). A position below the first
   * segment starts at it; a segment dropped meanwhile is skipped. Any thread (reads only bytes
   * below the published end, which are never rewritten); blocks on disk I/O and in {@code pacer}.
   */
  public long scrub(long from, long bytesMax, Pacer pacer, java.util.function.Consumer<CorruptRecordException> onDamage)
      throws java.io.InterruptedIOException {
    long limit = publishedEnd;
    long at = Math.max(from, firstPosition());
    long done = 0;
    for (Segment seg : segments) {
      if (done >= bytesMax || at >= limit) {
        break;
      }
      long segEnd;
      try {
        segEnd = Math.min(seg.base + seg.channel.size(), limit);
      } catch (java.nio.channels.ClosedChannelException e) {
        continue; // dropped after tiering meanwhile
      } catch (IOException e) {
        throw new StorageException("cannot size " + seg.path, e);
      }
      if (segEnd <= at) {
        continue;
      }
      long start = Math.max(at, seg.base);
      try {
        long walked = verify(seg.channel, seg.path, seg.base, start - seg.base, segEnd - seg.base, pacer, onDamage);
        done += walked;
        // a walk that stopped short (a header that cannot be framed) resumes at the next segment
        at = segEnd;
      } catch (java.io.InterruptedIOException e) {
        throw e;
      } catch (java.nio.channels.ClosedChannelException e) {
        at = segEnd;
      } catch (IOException e) {
        throw new StorageException("scrub read failed in " + seg.path, e);
      }
    }
    return at;
  }

  static void readFully(FileChannel ch, ByteBuffer dst, long filePos, Path file) throws IOException {
    while (dst.hasRemaining()) {
      if (ch.read(dst, filePos + dst.position()) < 0) {
        throw new StorageException("unexpected end of " + file + " at " + (filePos + dst.position()));
      }
    }
  }

  /**
   * The damage in the segment holding position {@code pos}, as far as it is published: every
   * record that fails its check, and the range a repair must rewrite (from the first damaged
   * record to the end of the last one, or to the segment's published end when a damaged header
   * hides where the records after it start). Any thread; reads the whole segment, so never on an
   * event loop. Throws {@link SegmentGoneException} when no segment holds {@code pos} (dropped).
   */
  public RecordPatch.Damage damageAround(long pos) {
    Segment seg = segmentAt(pos);
    try {
      long end = Math.min(seg.base + seg.channel.size(), publishedEnd);
      return RecordPatch.scan(seg.channel, seg.path, seg.base, end);
    } catch (java.nio.channels.ClosedChannelException e) {
      throw new SegmentGoneException("segment " + seg.path + " was dropped while being checked");
    } catch (IOException e) {
      throw new StorageException("cannot check " + seg.path, e);
    }
  }

  /** Bytes {@code [offset, offset + length)} of one segment file, the global range {@code [from, to)}. */
  public record FilePart(Path file, long offset, long length, long from, long to) {}

  /**
   * The local segment bytes of {@code [from, to)} for a peer repairing its copy, once every record
   * in them passed its check ({@code from} must be a record boundary; a peer asks for the position
   * of its damaged record, identical here). Throws {@link SegmentGoneException} when the range
   * starts below the oldest segment (dropped after tiering), {@link IllegalArgumentException} when
   * it reaches beyond the published end, {@link CorruptRecordException} when this copy is damaged
   * too. Any thread; reads every byte, so never on an event loop.
   */
  public List<FilePart> verifiedParts(long from, long to) {
    if (from < 0 || to <= from || to > publishedEnd) {
      throw new IllegalArgumentException("range [" + from + ", " + to + ") is not below the published end "
          + publishedEnd);
    }
    if (from < firstPosition()) {
      throw new SegmentGoneException("range [" + from + ", " + to + ") starts below the first segment held here ("
          + firstPosition() + ", the rest was dropped after tiering or reclaimed)");
    }
    List<FilePart> parts = new ArrayList<>();
    for (Segment seg : segments) {
      try {
        long segEnd = Math.min(seg.base + seg.channel.size(), to);
        long start = Math.max(from, seg.base);
        if (segEnd <= start) {
          continue;
        }
        try {
          verify(seg.channel, seg.path, seg.base, start - seg.base, segEnd - seg.base, null, null);
        } catch (CorruptRecordException e) {
          if (e.position() == start && Padding.inside(seg.channel, seg.path, seg.base, start)) {
            throw new SegmentGoneException("range [" + from + ", " + to + ") starts inside garbage compacted here ("
                + seg.path + "): nobody reads it");
          }
          throw e;
        }
        parts.add(new FilePart(seg.path, start - seg.base, segEnd - start, start, segEnd));
      } catch (java.nio.channels.ClosedChannelException e) {
        throw new SegmentGoneException("segment " + seg.path + " was dropped while being verified");
      } catch (IOException e) {
        throw new StorageException("cannot verify " + seg.path, e);
      }
    }
    return parts;
  }

  /**
   * Rewrites the damaged records of {@code [from, to)} (one segment's range, below the published
   * end) with the bytes of {@code received}, a peer's copy of exactly that range, and fsyncs them;
   * returns the number of records rewritten. Every received record must pass its check, and every
   * local record that passes its own must equal the peer's byte for byte (else the replicas
   * diverge: nothing is written and a {@link StorageException} says where). Drops the cached read
   * blocks of the range. Repair thread; blocks on disk I/O.
   */
  public int patch(Path received, long from, long to) {
    verifyFile(received, from, to - from);
    Segment seg;
    int rewritten;
    synchronized (rewriteLock) {
      seg = segmentAt(from);
      try {
        long segEnd = seg.base + seg.channel.size();
        if (to > publishedEnd || to > segEnd) {
          throw new IllegalArgumentException("patch [" + from + ", " + to + ") reaches past " + seg.path
              + " (ends at " + segEnd + ") or the published end " + publishedEnd);
        }
        rewritten = RecordPatch.apply(seg.channel, seg.path, seg.base, received, from, to);
        if (rewritten > 0) {
          seg.channel.force(false);
        }
      } catch (java.nio.channels.ClosedChannelException e) {
        throw new SegmentGoneException("segment " + seg.path + " was dropped before it could be repaired");
      } catch (IOException e) {
        throw new StorageException("repair of [" + from + ", " + to + ") in " + seg.path + " failed", e);
      }
    }
    blocks.forget(seg.base, from - seg.base, to - seg.base);
    return rewritten;
  }

  /** Global position of the first byte of a segment file, from its name (see {@link #fileName}). */
  public static long baseOf(Path segmentFile) {
    String name = segmentFile.getFileName().toString();
    return Long.parseLong(name.substring(0, name.length() - ".seg".length()));
  }

  /** Name of the segment file starting at global position {@code base}. */
  public static String fileName(long base) {
    return String.format("%020d.seg", base);
  }

  /** Bytes of segment files on disk. Any thread (approximate while the apply thread writes). */
  public long diskBytes() {
    Segment[] segs = segments;
    return Math.max(0, publishedEnd - (segs.length == 0 ? publishedEnd : segs[0].base));
  }

  @Override
  public void close() {
    flush();
    for (Segment s : segments) {
      try {
        s.channel.close();
      } catch (IOException e) {
        // closing a read/write channel after the last fsync loses nothing; nothing to do
      }
    }
  }
}
