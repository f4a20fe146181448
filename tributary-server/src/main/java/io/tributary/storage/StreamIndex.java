package io.tributary.storage;

import java.util.Arrays;

/**
 * Where one stream's bytes live on this replica's disk: entry i says that a record covering stream
 * bytes {@code [offsets[i], offsets[i+1])} (the last one up to the stream's tail) starts at global
 * segment position {@code positions[i]}. Two long arrays, 16 bytes per entry.
 *
 * <p>The entries start at the stream's first record still needed locally, not at its first
 * record: {@link #trimFront} forgets a prefix of records that are in the object store and whose
 * segments this replica deleted (the cold tier decides that, see {@code GroupState#trimIndexes}),
 * so memory follows the hot data, not the stream's history. A view then answers only for offsets
 * at or after {@link View#start()}; the record starts below it are in the cold chunks' record-start
 * tables. The last record is never trimmed, so a non-empty stream always has an entry and the
 * view's start is always a record start.
 *
 * <p>Threads: mutated only on the group's apply thread; readers use {@link #view()}, an immutable
 * snapshot. Arrays are only ever written beyond a published count; growth and trimming copy into
 * new arrays, so a view taken earlier keeps seeing the entries it was given.
 */
public final class StreamIndex {
  private static final int CAPACITY_MIN = 4;
  private long[] offsets;
  private long[] positions;
  private int count;
  /** Records forgotten from the front since this index was built or restored (diagnostics). */
  private long trimmed;

  public StreamIndex() {
    this(new long[CAPACITY_MIN], new long[CAPACITY_MIN], 0);
  }

  private StreamIndex(long[] offsets, long[] positions, int count) {
    this.offsets = offsets;
    this.positions = positions;
    this.count = count;
  }

  /** An index holding exactly these entries (restore from a metadata snapshot). */
  public static StreamIndex restore(long[] offsets, long[] positions) {
    if (offsets.length != positions.length) {
      throw new IllegalArgumentException(offsets.length + " offsets but " + positions.length + " positions");
    }
    return new StreamIndex(offsets.length == 0 ? new long[CAPACITY_MIN] : offsets,
        positions.length == 0 ? new long[CAPACITY_MIN] : positions, offsets.length);
  }

  public void add(long streamOffset, long position) {
    if (count == offsets.length) {
      offsets = Arrays.copyOf(offsets, count * 2);
      positions = Arrays.copyOf(positions, count * 2);
    }
    offsets[count] = streamOffset;
    positions[count] = position;
    count++;
  }

  /** Entries held (records from the first one kept). */
  public int count() {
    return count;
  }

  public long offsetAt(int i) {
    return offsets[i];
  }

  public long positionAt(int i) {
    return positions[i];
  }

  /** Records forgotten by {@link #trimFront} since this index was built or restored. */
  public long trimmed() {
    return trimmed;
  }

  /**
   * How many leading records could be forgotten: those starting below segment position
   * {@code positionBelow} (their segment is gone) that also end at or below stream offset
   * {@code offsetLimit} (they are wholly in the object store). Never counts the last record.
   */
  public int trimmable(long positionBelow, long offsetLimit) {
    View v = view();
    int endsBelowLimit = Math.max(0, v.locate(offsetLimit)); // records before the one holding the limit
    int lo = 0;
    int hi = Math.min(endsBelowLimit, count) - 1;
    while (lo <= hi) { // first record at or above positionBelow (positions grow with offsets)
      int mid = (lo + hi) >>> 1;
      if (positions[mid] < positionBelow) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /**
   * Forgets the first {@code n} records ({@code n < count}). Copies the kept entries into new,
   * smaller arrays, so the memory of the forgotten ones is released once older views are gone;
   * callers trim only when at least as many records go as stay (see {@link #trimIfWorthIt}), so
   * the copying costs O(1) per forgotten record.
   */
  public void trimFront(int n) {
    if (n <= 0) {
      return;
    }
    if (n >= count) {
      throw new IllegalArgumentException("cannot trim " + n + " of " + count + " records: the last one stays");
    }
    int kept = count - n;
    int capacity = kept >= 1 << 29 ? kept : Math.max(CAPACITY_MIN, Integer.highestOneBit(kept) << 1);
    long[] o = new long[capacity];
    long[] p = new long[capacity];
    System.arraycopy(offsets, n, o, 0, kept);
    System.arraycopy(positions, n, p, 0, kept);
    offsets = o;
    positions = p;
    count = kept;
    trimmed += n;
  }

  /**
   * Forgets the {@link #trimmable} prefix when at least as many records go as stay (amortising
   * the copy; the index then holds at most about twice the records still needed). Returns how
   * many were forgotten.
   */
  public int trimIfWorthIt(long positionBelow, long offsetLimit) {
    int n = trimmable(positionBelow, offsetLimit);
    if (n == 0 || n < count - n) {
      return 0;
    }
    trimFront(n);
    return n;
  }

  public View view() {
    return new View(offsets, positions, count);
  }

  /** Immutable view of the first {@code count} entries. */
  public record View(long[] offsets, long[] positions, int count) {
    public static final View EMPTY = new View(new long[0], new long[0], 0);

    /**
     * The first offset this view describes: its first record's start ({@link Long#MAX_VALUE} when
     * it has none). Records below it were trimmed: they are in the object store.
     */
    public long start() {
      return count == 0 ? Long.MAX_VALUE : offsets[0];
    }

    /** Index of the record holding stream offset {@code off} (the last record starting at or before it), or -1. */
    public int locate(long off) {
      int lo = 0;
      int hi = count - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (offsets[mid] <= off) {
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return hi;
    }
  }
}
