package io.tributary.state;

import io.tributary.storage.SegmentStore;
import io.tributary.storage.StreamIndex;
import java.util.Arrays;

/**
 * The records of a segment range that something may still read on a node that does not tier,
 * sorted by position: every record of a live, soft-deleted or fork-pinned stream at or above the
 * floor {@link GroupState#reclaimLowWatermark} uses (its retention floor while no fork pins it,
 * its cold end), and every record of an application snapshot blob. Everything else in the range
 * is garbage: removed or expired streams, retention-trimmed bytes, replaced blobs. Compaction
 * ({@code group/Reclaim}, {@link SegmentStore#compact}) keeps these and reclaims the rest.
 *
 * <p>Built from published views on the reclaim thread; the views are immutable, so it needs no
 * lock, and a record appended meanwhile lies above any sealed segment. Costs one pass over every
 * stream's index entries in the range; {@code recordsMax} bounds the memory (the answer is null
 * past it).
 *
 * @param starts record positions, ascending
 * @param bytes each record's size on disk, header included
 */
public record LiveRecords(long[] starts, int[] bytes, int count) {

  /** The live records in {@code [from, to)} of group {@code s}, or null when there are more than {@code recordsMax}. */
  public static LiveRecords of(GroupState s, long from, long to, int recordsMax) {
    Collector c = new Collector(from, to, recordsMax);
    for (StreamEntry e : s.byId.values()) {
      StreamView v = e.view;
      if (v == null) {
        continue;
      }
      StreamIndex.View ix = v.index();
      long floor = GroupState.localFloor(v, true);
      for (int i = floor < v.tail() ? Math.max(0, ix.locate(floor)) : ix.count(); i < ix.count(); i++) {
        long next = i + 1 < ix.count() ? ix.offsets()[i + 1] : v.tail();
        if (!c.add(ix.positions()[i], next - ix.offsets()[i])) {
          return null;
        }
      }
      AppSnapshot snap = v.snapshot();
      for (int i = 0; snap != null && i < snap.positions().length; i++) {
        long payload = Math.min(SegmentStore.RECORD_PAYLOAD_MAX, snap.length() - (long) i * SegmentStore.RECORD_PAYLOAD_MAX);
        if (!c.add(snap.positions()[i], payload)) {
          return null;
        }
      }
    }
    return c.sorted();
  }

  /** Records in a range, unsorted, at most {@code recordsMax}. */
  private static final class Collector {
    private final long from;
    private final long to;
    private final int recordsMax;
    private long[] starts = new long[64];
    private int[] bytes = new int[64];
    private int n;

    Collector(long from, long to, int recordsMax) {
      this.from = from;
      this.to = to;
      this.recordsMax = recordsMax;
    }

    /** Adds the record at {@code pos} with {@code payload} bytes if it lies in the range; false past the bound. */
    boolean add(long pos, long payload) {
      if (pos < from || pos >= to) {
        return true;
      }
      if (n == recordsMax) {
        return false;
      }
      if (n == starts.length) {
        starts = Arrays.copyOf(starts, n * 2);
        bytes = Arrays.copyOf(bytes, n * 2);
      }
      starts[n] = pos;
      bytes[n] = SegmentStore.HEADER_BYTES + (int) payload;
      n++;
      return true;
    }

    /** By position, sizes carried along (positions are unique: one record each). */
    LiveRecords sorted() {
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Long.compare(starts[a], starts[b]));
      long[] sortedStarts = new long[n];
      int[] sortedBytes = new int[n];
      for (int i = 0; i < n; i++) {
        sortedStarts[i] = starts[order[i]];
        sortedBytes[i] = bytes[order[i]];
      }
      return new LiveRecords(sortedStarts, sortedBytes, n);
    }
  }

  /** Index of the first record at or above {@code pos}. */
  public int firstAtOrAbove(long pos) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (starts[mid] < pos) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
