package io.tributary.state;

import io.tributary.common.StreamKey;
import io.tributary.storage.StreamIndex;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * Writes and reads a group's metadata snapshot: stream table, producers, pins, per-stream record
 * indexes and the segment end they refer to. Data bytes are not in it (they are in the segments,
 * fsync'd before the snapshot is written). A stream's index is listed from its first record this
 * replica still needs (records in the object store whose segments are gone are not listed; see
 * {@link GroupState#trimIndexes}). Layout in docs/on-disk-format.md. Apply thread, except that a captured
 * {@link Image} is written on any thread.
 */
final class SnapshotCodec {
  private static final int MAGIC = 0x54525353; // "TRSS"
  /** Version 6: the announced feature level of each node ({@link FeatureLevel}) follows the garbage queue. */
  private static final int VERSION = 6;
  /** Version 5: each producer carries the time of its latest accepted append ({@code lastMillis}); still read (no levels). */
  private static final int VERSION_WITHOUT_FEATURES = 5;
  /**
   * Version 4 (an index may start after the stream's first record; the cold index says which chunks
   * list record starts) lacks producer times; still read (times unknown, see {@link ProducerTable#admit}).
   */
  private static final int VERSION_WITHOUT_PRODUCER_TIMES = 4;
  /** Version 3 lists every record and has no {@code coldTablesFrom}; still read (every chunk then lacks a record-start table). */
  private static final int VERSION_FULL_INDEX = 3;
  /**
   * Version 2 (with the application snapshot's object key) lacks the cold index and the garbage
   * queue; still read (as all-hot, nothing queued).
   */
  private static final int VERSION_WITHOUT_COLD = 2;

  private SnapshotCodec() {}

  /** Writes to a temp file, fsyncs, renames atomically onto {@code target} and fsyncs its directory. */
  static void write(GroupState s, long storeEnd, Path target) throws IOException {
    capture(s, storeEnd).writeTo(target);
  }

  /**
   * Writes the snapshot's bytes to {@code out} (unbuffered; closed on return): what {@link
   * #write(GroupState, long, Path)} puts in the file. Also the replicas' canonical state for
   * comparisons in tests.
   */
  static void write(GroupState s, long storeEnd, OutputStream out) throws IOException {
    capture(s, storeEnd).writeTo(out);
  }

  /**
   * The snapshot of {@code s} as it is now, for writing later on any thread: everything but the
   * streams' record indexes is encoded now (apply thread; a few hundred bytes per stream), and each
   * index is held as its immutable {@link StreamIndex.View} (no copy: an index only ever writes
   * beyond a published count). The records' part, 16 bytes per record still on local disk and
   * most of a large snapshot, is encoded by {@link Image#writeTo}, off the apply thread.
   */
  static Image capture(GroupState s, long storeEnd) throws IOException {
    Image.Builder b = new Image.Builder();
    DataOutputStream o = b.out;
    o.writeInt(MAGIC);
    o.writeInt(VERSION);
    o.writeInt(s.group);
    o.writeLong(storeEnd);
    o.writeLong(s.nextStreamId);
    o.writeInt(s.buckets.size());
    for (java.util.Map.Entry<String, Long> bucket : s.buckets.entrySet()) {
      str(o, bucket.getKey());
      o.writeLong(bucket.getValue());
    }
    o.writeInt(s.byId.size());
    for (StreamEntry e : s.byId.values().stream().sorted((x, y) -> Long.compare(x.streamId, y.streamId)).toList()) {
      writeEntry(o, e, b);
    }
    o.writeInt(s.coldGarbage.size());
    for (String k : s.coldGarbage) {
      str(o, k);
    }
    o.writeInt(s.features.size());
    for (java.util.Map.Entry<String, Integer> f : s.features.entrySet()) {
      str(o, f.getKey());
      o.writeInt(f.getValue());
    }
    return b.build();
  }

  /**
   * A captured snapshot: encoded parts and record-index views in file order, then the CRC32C of
   * all of them. Immutable; {@link #writeTo} from any thread.
   */
  static final class Image {
    /** Each part is a {@code byte[]} or a {@link StreamIndex.View} (written as count and pairs). */
    private final List<Object> parts;

    private Image(List<Object> parts) {
      this.parts = parts;
    }

    /** Writes to a temp file, fsyncs, renames atomically onto {@code target} and fsyncs its directory. */
    void writeTo(Path target) throws IOException {
      Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
      writeTo(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16));
      io.tributary.common.DurableFiles.fsync(tmp);
      io.tributary.common.DurableFiles.moveDurably(tmp, target);
    }

    /** Writes the snapshot's bytes and CRC to {@code out}, which is closed on return. */
    void writeTo(OutputStream out) throws IOException {
      CRC32C crc = new CRC32C();
      try (CheckedOutputStream co = new CheckedOutputStream(out, crc);
          DataOutputStream o = new DataOutputStream(co)) {
        for (Object part : parts) {
          if (part instanceof byte[] bytes) {
            o.write(bytes);
          } else {
            StreamIndex.View v = (StreamIndex.View) part;
            o.writeInt(v.count());
            for (int i = 0; i < v.count(); i++) {
              o.writeLong(v.offsets()[i]);
              o.writeLong(v.positions()[i]);
            }
          }
        }
        o.flush();
        o.writeInt((int) crc.getValue());
      }
    }

    /** Collects the parts (apply thread). */
    private static final class Builder {
      private final List<Object> parts = new ArrayList<>();
      private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream(1 << 16);
      final DataOutputStream out = new DataOutputStream(buffer);

      void index(StreamIndex.View v) throws IOException {
        cut();
        parts.add(v);
      }

      private void cut() throws IOException {
        out.flush();
        if (buffer.size() > 0) {
          parts.add(buffer.toByteArray());
          buffer.reset();
        }
      }

      Image build() throws IOException {
        cut();
        return new Image(List.copyOf(parts));
      }
    }
  }

  private static void writeEntry(DataOutputStream o, StreamEntry e, Image.Builder b) throws IOException {
    o.writeLong(e.streamId);
    key(o, e.key);
    str(o, e.contentType);
    o.writeLong(e.ttlSeconds);
    str(o, e.expiresAt);
    o.writeLong(e.expiresAtMillis);
    o.writeBoolean(e.fork != null);
    if (e.fork != null) {
      key(o, e.fork.sourceKey());
      o.writeInt(e.fork.sourceGroup());
      o.writeLong(e.fork.sourceStreamId());
      o.writeLong(e.fork.forkPoint());
      o.writeLong(e.forkRequestedOffset);
      o.writeLong(e.forkSubOffset);
      str(o, e.forkPinId);
    }
    o.writeLong(e.lastAccessMillis);
    o.writeBoolean(e.closed);
    o.writeBoolean(e.closedBy != null);
    if (e.closedBy != null) {
      str(o, e.closedBy.id());
      o.writeLong(e.closedBy.epoch());
      o.writeLong(e.closedBy.seq());
    }
    o.writeLong(e.tail);
    str(o, e.lastStreamSeq);
    o.writeBoolean(e.softDeleted);
    o.writeInt(e.producers.size());
    for (Map.Entry<String, StreamEntry.ProducerState> p : e.producers.entrySet().stream()
        .sorted(Map.Entry.comparingByKey()).toList()) {
      str(o, p.getKey());
      o.writeLong(p.getValue().epoch);
      o.writeLong(p.getValue().lastSeq);
      o.writeLong(p.getValue().lastStart);
      o.writeLong(p.getValue().lastMillis);
    }
    o.writeInt(e.pins.size());
    for (Map.Entry<String, StreamKey> p : e.pins.entrySet()) {
      str(o, p.getKey());
      key(o, p.getValue());
    }
    b.index(e.index.view());
    o.writeLong(e.retainedFrom);
    str(o, e.attrs);
    AppSnapshot snap = e.snapshot;
    o.writeBoolean(snap != null);
    if (snap != null) {
      o.writeLong(snap.offset());
      str(o, snap.contentType());
      str(o, snap.digest());
      o.writeLong(snap.length());
      o.writeLong(snap.blobId());
      o.writeInt(snap.positions().length);
      for (long pos : snap.positions()) {
        o.writeLong(pos);
      }
      str(o, snap.objectKey());
    }
    ColdIndex c = e.cold;
    o.writeInt(c.count() - c.first());
    for (int i = c.first(); i < c.count(); i++) {
      o.writeLong(c.startAt(i));
    }
    o.writeLong(c.end());
    o.writeLong(c.tablesFrom());
  }

  /**
   * Checks a metadata snapshot file without loading it: its magic and the CRC32C trailer over
   * everything before it. Throws {@link IOException} naming the file when either is wrong. Used on
   * a snapshot received from a peer before it is installed, and before one is exported.
   */
  static void verify(Path file) throws IOException {
    long size = Files.size(file);
    if (size < 12) {
      throw new IOException("metadata snapshot " + file + " is " + size + " bytes: too short");
    }
    CRC32C crc = new CRC32C();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      byte[] buf = new byte[1 << 16];
      long left = size - 4;
      byte[] first = in.readNBytes(4);
      crc.update(first);
      left -= 4;
      if (java.nio.ByteBuffer.wrap(first).getInt() != MAGIC) {
        throw new IOException("not a Tributary metadata snapshot: " + file);
      }
      while (left > 0) {
        int r = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (r < 0) {
          throw new IOException("metadata snapshot " + file + " ended early");
        }
        crc.update(buf, 0, r);
        left -= r;
      }
      int stored = java.nio.ByteBuffer.wrap(in.readNBytes(4)).getInt();
      if (stored != (int) crc.getValue()) {
        throw new IOException("metadata snapshot checksum mismatch in " + file);
      }
    }
  }

  /** The segment end a metadata snapshot file refers to, from its header (no other check). */
  static long segmentEnd(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 64))) {
      in.skipNBytes(12); // magic, version, group
      return in.readLong();
    }
  }

  /** Restores into an empty {@code s}; returns the segment end the snapshot refers to. */
  static long read(Path file, GroupState s) throws IOException {
    CRC32C crc = new CRC32C();
    try (InputStream fi = Files.newInputStream(file);
        CheckedInputStream ci = new CheckedInputStream(new BufferedInputStream(fi, 1 << 16), crc);
        DataInputStream in = new DataInputStream(ci)) {
      if (in.readInt() != MAGIC) {
        throw new IOException("not a Tributary snapshot: " + file);
      }
      int version = in.readInt();
      if (version != VERSION && version != VERSION_WITHOUT_FEATURES && version != VERSION_WITHOUT_PRODUCER_TIMES && version != VERSION_FULL_INDEX
          && version != VERSION_WITHOUT_COLD) {
        throw new IOException("unsupported snapshot version " + version + " in " + file);
      }
      int group = in.readInt();
      if (group != s.group) {
        throw new IOException("snapshot " + file + " belongs to group " + group + ", not " + s.group);
      }
      long storeEnd = in.readLong();
      s.nextStreamId = in.readLong();
      int bucketCount = in.readInt();
      for (int i = 0; i < bucketCount; i++) {
        s.buckets.put(str(in), in.readLong());
      }
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        StreamEntry e = readEntry(in, s.group, version);
        s.byId.put(e.streamId, e);
        s.byKey.put(e.key, e);
        s.countStream(e.key, 1);
        s.countBytes(e, e.softDeleted ? 0 : e.storedBytes());
        e.publish();
      }
      if (version >= 3) {
        int garbage = in.readInt();
        for (int i = 0; i < garbage; i++) {
          s.queueGarbage(str(in));
        }
        s.garbageChanged = true;
        s.publishGarbage();
      }
      if (version >= VERSION) {
        int levels = in.readInt();
        for (int i = 0; i < levels; i++) {
          s.restoreFeature(str(in), in.readInt());
        }
      }
      int expected = (int) crc.getValue();
      int stored = in.readInt();
      if (stored != expected) {
        throw new IOException("snapshot checksum mismatch in " + file);
      }
      return storeEnd;
    }
  }

  private static StreamEntry readEntry(DataInputStream in, int group, int version) throws IOException {
    long id = in.readLong();
    StreamKey key = key(in);
    String ct = str(in);
    long ttl = in.readLong();
    String exp = str(in);
    long expMs = in.readLong();
    StreamView.Fork fork = null;
    long reqOff = -1;
    long subOff = 0;
    String pinId = null;
    if (in.readBoolean()) {
      fork = new StreamView.Fork(key(in), in.readInt(), in.readLong(), in.readLong());
      reqOff = in.readLong();
      subOff = in.readLong();
      pinId = str(in);
    }
    long lastAccess = in.readLong();
    boolean closed = in.readBoolean();
    Command.Producer closedBy = in.readBoolean() ? new Command.Producer(str(in), in.readLong(), in.readLong()) : null;
    long tail = in.readLong();
    String lastSeq = str(in);
    boolean softDeleted = in.readBoolean();
    int np = in.readInt();
    java.util.Map<String, StreamEntry.ProducerState> producers = new java.util.HashMap<>();
    for (int i = 0; i < np; i++) {
      producers.put(str(in), new StreamEntry.ProducerState(in.readLong(), in.readLong(), in.readLong(),
          version >= 5 ? in.readLong() : StreamEntry.ProducerState.UNKNOWN_MILLIS));
    }
    int pins = in.readInt();
    java.util.LinkedHashMap<String, StreamKey> pinMap = new java.util.LinkedHashMap<>();
    for (int i = 0; i < pins; i++) {
      pinMap.put(str(in), key(in));
    }
    int n = in.readInt();
    long[] offs = new long[n];
    long[] poss = new long[n];
    for (int i = 0; i < n; i++) {
      offs[i] = in.readLong();
      poss[i] = in.readLong();
    }
    long retainedFrom = in.readLong();
    String attrs = str(in);
    AppSnapshot snap = null;
    if (in.readBoolean()) {
      long off = in.readLong();
      String sct = str(in);
      String digest = str(in);
      long len = in.readLong();
      long blobId = in.readLong();
      long[] positions = new long[in.readInt()];
      for (int i = 0; i < positions.length; i++) {
        positions[i] = in.readLong();
      }
      snap = new AppSnapshot(off, sct, digest, len, blobId, positions, str(in));
    }
    ColdIndex cold = null;
    if (version >= 3) {
      long[] starts = new long[in.readInt()];
      for (int i = 0; i < starts.length; i++) {
        starts[i] = in.readLong();
      }
      long end = in.readLong();
      // chunks written before version 4 have no record-start table: their records stay indexed
      cold = ColdIndex.restore(starts, 0, end, version >= 4 ? in.readLong() : end);
    }
    StreamEntry e = new StreamEntry(id, group, key, ct, ttl, exp, expMs, fork, reqOff, subOff, pinId,
        StreamIndex.restore(offs, poss), tail);
    e.retainedFrom = retainedFrom;
    if (cold != null) {
      e.cold = cold;
    }
    e.attrs = attrs;
    e.snapshot = snap;
    e.lastAccessMillis = lastAccess;
    e.closed = closed;
    e.closedBy = closedBy;
    e.lastStreamSeq = lastSeq;
    e.softDeleted = softDeleted;
    e.producers.putAll(producers);
    e.pins.putAll(pinMap);
    return e;
  }

  private static void key(DataOutputStream o, StreamKey k) throws IOException {
    str(o, k.bucket());
    str(o, k.stream());
  }

  private static StreamKey key(DataInputStream in) throws IOException {
    return new StreamKey(str(in), str(in));
  }

  private static void str(DataOutputStream o, String s) throws IOException {
    if (s == null) {
      o.writeInt(-1);
      return;
    }
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    o.writeInt(b.length);
    o.write(b);
  }

  private static String str(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }
}
