package io.tributary.service;

import io.tributary.cold.BlockCache;
import io.tributary.cold.ChunkFormat;
import io.tributary.cold.ObjectNotFoundException;
import io.tributary.cold.ObjectStoreException;
import io.tributary.common.UnavailableException;
import io.tributary.state.ColdIndex;
import io.tributary.state.StreamView;

/**
 * Reads a stream's cold bytes: splits a range over the chunks that hold it and reads each through
 * the node's {@link BlockCache} ({@link ChunkFormat#read} verifies every check block). Also the
 * record starts of cold ranges, from the chunks' record-start tables, for records the in-memory
 * index has forgotten. An object store that cannot answer is a 503 with {@code Retry-After},
 * never a wrong or short answer. Stateless; runs on read-pool threads (it blocks on the object store).
 */
final class ColdReads {
  private final BlockCache cache;
  private final boolean preferred;
  /** cold-reads-wait-ms (0 when the node does not tier); {@link #tier} is null then. */
  private final long waitMillis;
  private final io.tributary.group.ColdTier tier;
  /** Byte ranges of streams served (at least partly) from the object store, and only from local disk. */
  private final java.util.concurrent.atomic.LongAdder coldRanges = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder hotRanges = new java.util.concurrent.atomic.LongAdder();

  ColdReads(BlockCache cache, boolean preferred, long waitMillis, io.tributary.group.ColdTier tier) {
    this.cache = cache;
    this.preferred = preferred;
    this.waitMillis = waitMillis;
    this.tier = tier;
  }

  /** How long a read of bytes not yet tiered waits for the tier (cold-reads-wait-ms); 0 = it does not. */
  long waitMillis() {
    return waitMillis;
  }

  /** Asks the tiering task for a pass now (a reader waits for untiered bytes). Any thread. */
  void expediteTiering() {
    tier.expedite();
  }

  /** True when tiered ranges are read from the object store even while a local copy exists. */
  boolean preferred() {
    return preferred;
  }

  /** Counts one range read served only from local disk. */
  void countHot() {
    hotRanges.increment();
  }

  /** Ranges read from the object store (at least partly) and only from local disk, since start. */
  long[] rangeCounts() {
    return new long[] {coldRanges.sum(), hotRanges.sum()};
  }

  /**
   * Where {@code v}'s records start in {@code [from, to)} (all within {@code cold}), ascending,
   * from the record-start tables of the chunks holding the range.
   */
  java.util.List<Long> recordStarts(StreamView v, ColdIndex.View cold, long from, long to) {
    java.util.List<Long> out = new java.util.ArrayList<>();
    long cur = from;
    while (cur < to) {
      Chunk ch = chunkHolding(v, cold, cur);
      long cs = ch.start();
      long ce = ch.end();
      String key = ch.key();
      long[] starts;
      try {
        starts = ChunkFormat.recordStarts(cache, key, v.streamId(), cs, ce);
      } catch (ObjectNotFoundException e) {
        throw new UnavailableException("stream " + v.key() + ": cold object " + key + " is missing (deleted meanwhile?)", 1);
      } catch (ObjectStoreException e) {
        throw new UnavailableException("object store unavailable for the record starts of " + v.key() + ": " + e.getMessage(), 2);
      } catch (ChunkFormat.NoRecordStartsException e) {
        // the index keeps the records of such chunks (ColdIndex#tablesFrom): reaching one is a bug
        throw new IllegalStateException("stream " + v.key() + " [" + cur + ", " + to + "): " + e.getMessage()
            + ", and the record index no longer holds the range", e);
      }
      for (long s : starts) {
        if (s >= cur && s < to) {
          out.add(s);
        }
      }
      cur = ce;
    }
    return out;
  }

  /** One chunk object of a stream: its range and key. */
  private record Chunk(long start, long end, String key) {}

  /** The chunk holding {@code off}; 503 when the object store no longer has it (collected below the cold start). */
  private static Chunk chunkHolding(StreamView v, ColdIndex.View cold, long off) {
    int i = cold.locate(off);
    if (i < 0) {
      throw new UnavailableException("stream " + v.key() + ": offset " + off + " is not in the object store (garbage-collected "
          + "below " + cold.start() + ")", 1);
    }
    long cs = cold.chunkStart(i);
    long ce = cold.chunkEnd(i);
    return new Chunk(cs, ce, ChunkFormat.key(v.group(), v.streamId(), cs, ce));
  }

  /** Bytes {@code [from, to)} of {@code v}'s own data, all within {@code cold}. */
  byte[] read(StreamView v, ColdIndex.View cold, long from, long to) {
    coldRanges.increment();
    byte[] out = new byte[Math.toIntExact(to - from)];
    long cur = from;
    while (cur < to) {
      Chunk ch = chunkHolding(v, cold, cur);
      long cs = ch.start();
      long ce = ch.end();
      long n = Math.min(to, ce) - cur;
      String key = ch.key();
      byte[] part;
      try {
        part = ChunkFormat.read(cache, key, v.streamId(), cs, ce, cur, cur + n);
      } catch (ObjectNotFoundException e) {
        throw new UnavailableException("stream " + v.key() + ": cold object " + key + " is missing (deleted meanwhile?)", 1);
      } catch (ObjectStoreException e) {
        throw new UnavailableException("object store unavailable for cold read of " + v.key() + ": " + e.getMessage(), 2);
      }
      System.arraycopy(part, 0, out, (int) (cur - from), part.length);
      cur += n;
    }
    return out;
  }
}
