package io.tributary.storage;

/**
 * Copies a byte range of one stream out of a group's segments, record by record.
 * Stateless; safe on any thread. {@link #readCached} never blocks; {@link #read} may do disk I/O.
 */
public final class StreamReader {
  private StreamReader() {}

  /**
   * Reads stream bytes {@code [from, to)} described by {@code index} (whose records end at
   * {@code indexEnd}). Returns null if {@code cachedOnly} and some part is not in memory.
   */
  public static byte[] read(SegmentStore store, long streamId, StreamIndex.View index, long indexEnd, long from, long to,
      boolean cachedOnly) {
    int len = Math.toIntExact(to - from);
    byte[] out = new byte[len];
    if (len == 0) {
      return out;
    }
    int i = index.locate(from);
    if (i < 0 && index.count() > 0) {
      // the index forgot these records: they are in the object store and this replica deleted their segment
      throw new SegmentGoneException("stream " + streamId + ": offset " + from + " is below its record index (starts at "
          + index.start() + ")");
    }
    if (i < 0) {
      throw new StorageException("stream " + streamId + " has no record at offset " + from);
    }
    int written = 0;
    long cur = from;
    while (cur < to) {
      if (i >= index.count()) {
        throw new StorageException("stream " + streamId + " index ends before offset " + cur);
      }
      long recStart = index.offsets()[i];
      long recEnd = i + 1 < index.count() ? index.offsets()[i + 1] : indexEnd;
      int n = (int) (Math.min(to, recEnd) - cur);
      int inRecord = (int) (cur - recStart);
      long pos = index.positions()[i];
      if (cachedOnly) {
        if (!store.readCached(pos, inRecord, out, written, n)) {
          return null;
        }
      } else {
        try {
          store.read(pos, streamId, recStart, (int) (recEnd - recStart), inRecord, out, written, n);
        } catch (CorruptRecordException e) {
          throw e.inStreamRange(recStart, recEnd);
        }
      }
      written += n;
      cur += n;
      i++;
    }
    return out;
  }
}
