package io.tributary.storage;

import java.util.Arrays;

/**
 * Where one stream's bytes live: record i covers stream bytes {@code [offsets[i], offsets[i+1])}
 * (the last one up to the stream's tail) and starts at global segment position {@code positions[i]}.
 * Two long arrays per stream, 16 bytes per record.
 *
 * <p>Threads: mutated only on the group's apply thread; readers use {@link #view()}, an immutable
 * snapshot (the arrays are only ever written beyond a published count, and replaced on growth).
 */
public final class StreamIndex {
  private long[] offsets;
  private long[] positions;
  private int count;

  public StreamIndex() {
    this(new long[4], new long[4], 0);
  }

  private StreamIndex(long[] offsets, long[] positions, int count) {
    this.offsets = offsets;
    this.positions = positions;
    this.count = count;
  }

  public static StreamIndex restore(long[] offsets, long[] positions) {
    return new StreamIndex(offsets.length == 0 ? new long[4] : offsets, positions.length == 0 ? new long[4] : positions, offsets.length);
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

  public int count() {
    return count;
  }

  public long offsetAt(int i) {
    return offsets[i];
  }

  public long positionAt(int i) {
    return positions[i];
  }

  public View view() {
    return new View(offsets, positions, count);
  }

  /** Immutable view of the first {@code count} records. */
  public record View(long[] offsets, long[] positions, int count) {
    public static final View EMPTY = new View(new long[0], new long[0], 0);

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
