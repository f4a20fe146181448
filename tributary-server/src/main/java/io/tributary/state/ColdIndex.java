package io.tributary.state;

import java.util.Arrays;

/**
 * Which of a stream's own bytes live in the object store: chunk i holds {@code [starts[i],
 * starts[i+1])}, the last one up to {@link #end()}; together they cover {@code [starts[first],
 * end)} with no gap. Chunks below {@code first} were garbage-collected (retention). The end only
 * grows, by {@link #add} of a range that starts exactly at it (see {@link Command.ColdChunksPublished}).
 *
 * <p>Chunks at or above {@link #tablesFrom()} carry a record-start table (chunk format version 2),
 * so the stream's record index may forget their records; chunks below it were written without
 * one (format version 1, before this existed) and their records stay in the index.
 *
 * <p>Threads: mutated only on the group's apply thread; readers use {@link #view()}, an immutable
 * snapshot (arrays are only written beyond a published count and replaced on growth, as in
 * {@link io.tributary.storage.StreamIndex}).
 */
public final class ColdIndex {
  private long[] starts;
  private int first;
  private int count;
  private long end;
  /** Every chunk at or above this offset has a record-start table. */
  private long tablesFrom;

  ColdIndex(long ownStart) {
    this(new long[0], 0, 0, ownStart, ownStart);
  }

  private ColdIndex(long[] starts, int first, int count, long end, long tablesFrom) {
    this.starts = starts;
    this.first = first;
    this.count = count;
    this.end = end;
    this.tablesFrom = tablesFrom;
  }

  static ColdIndex restore(long[] starts, int first, long end, long tablesFrom) {
    return new ColdIndex(starts, first, starts.length, end, tablesFrom);
  }

  long end() {
    return end;
  }

  long tablesFrom() {
    return tablesFrom;
  }

  int first() {
    return first;
  }

  int count() {
    return count;
  }

  long startAt(int i) {
    return starts[i];
  }

  long endAt(int i) {
    return i + 1 < count ? starts[i + 1] : end;
  }

  /** Appends the chunk {@code [end, newEnd)}; {@code withTable} when its object lists its record starts. */
  void add(long newEnd, boolean withTable) {
    if (newEnd <= end) {
      throw new IllegalArgumentException("cold range must grow: end " + end + ", new end " + newEnd);
    }
    if (count == starts.length) {
      starts = Arrays.copyOf(starts, Math.max(4, count * 2));
    }
    starts[count++] = end;
    end = newEnd;
    if (!withTable) {
      tablesFrom = newEnd;
    }
  }

  /** True when chunk {@code [start, chunkEnd)} is already recorded (a retried publish). */
  boolean holds(long start, long chunkEnd) {
    for (int i = first; i < count; i++) {
      if (starts[i] == start) {
        return endAt(i) == chunkEnd;
      }
    }
    return false;
  }

  /** Forgets chunks that end at or below {@code floor}; returns how many (from the old first). */
  int trimBelow(long floor) {
    int from = first;
    while (first < count && endAt(first) <= floor) {
      first++;
    }
    return first - from;
  }

  View view() {
    return new View(starts, first, count, end);
  }

  /** Immutable view: chunks {@code first..count-1}, covering {@code [starts[first], end)}. */
  public record View(long[] starts, int first, int count, long end) {
    /** Start of the first chunk still held, or {@link #end} when there is none. */
    public long start() {
      return first < count ? starts[first] : end;
    }

    public long chunkStart(int i) {
      return starts[i];
    }

    public long chunkEnd(int i) {
      return i + 1 < count ? starts[i + 1] : end;
    }

    /** Index of the chunk holding {@code off} (in {@code [start(), end)}), or -1. */
    public int locate(long off) {
      if (off < start() || off >= end) {
        return -1;
      }
      int lo = first;
      int hi = count - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (starts[mid] <= off) {
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return hi;
    }

    /** True when chunk {@code [start, chunkEnd)} is one of the chunks held (a reference to its object). */
    public boolean holds(long start, long chunkEnd) {
      int i = locate(start);
      return i >= 0 && starts[i] == start && chunkEnd(i) == chunkEnd;
    }

    /** Bytes covered. */
    public long bytes() {
      return end - start();
    }
  }
}
