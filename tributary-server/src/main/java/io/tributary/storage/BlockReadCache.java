package io.tributary.storage;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Recently read blocks of one group's segment files ({@value #BLOCK_BYTES} bytes, aligned within
 * their segment), shared by every reader of the group. A group's segments interleave the records
 * of all its streams, so one record read from disk costs a positional read however small it is;
 * readers of nearby data at the same time (a herd reconnecting to one stream, many streams caught
 * up together) read each block from disk once instead. Only bytes below the store's published end
 * are cached; apply never changes them (a truncation re-writes the same bytes, the layout being
 * deterministic), so a block is valid for as long as it stays — unless it holds damaged bytes
 * that a repair from a peer then rewrites on disk: {@link #forget} drops the blocks of the
 * rewritten range, and a load that read the disk before the rewrite must not put its stale block
 * back afterwards, so {@link #put} takes the {@link #epoch} seen before the disk read and drops
 * the block again when a forget came in between.
 *
 * <p>Direct-mapped: block {@code (segment, n)} lives in one slot, and a block that hashes there
 * later replaces it. No locks: slots hold immutable {@link Block}s published through an
 * {@link AtomicReferenceArray}. Any thread. Two readers missing the same block may both load it.
 */
final class BlockReadCache {
  static final int BLOCK_BYTES = 16 * 1024;

  /** Bytes {@code [n * BLOCK_BYTES, n * BLOCK_BYTES + length)} of the segment at {@code segmentBase}. */
  record Block(long segmentBase, long n, byte[] bytes, int length) {}

  private final AtomicReferenceArray<Block> slots;
  private final int slotCount;
  /** Bumped by every {@link #forget}, before it clears slots. */
  private final java.util.concurrent.atomic.AtomicLong epoch = new java.util.concurrent.atomic.AtomicLong();

  BlockReadCache(long capacityBytes) {
    this.slotCount = (int) Math.min(Integer.MAX_VALUE, Math.max(0, capacityBytes / BLOCK_BYTES));
    this.slots = new AtomicReferenceArray<>(Math.max(1, slotCount));
  }

  boolean enabled() {
    return slotCount > 0;
  }

  /** The cached block {@code n} of that segment holding at least {@code minLength} bytes, or null. */
  Block get(long segmentBase, long n, int minLength) {
    Block b = slots.get(slot(segmentBase, n));
    return b != null && b.segmentBase == segmentBase && b.n == n && b.length >= minLength ? b : null;
  }

  /** The epoch to pass to {@link #put} for a block about to be read from disk. */
  long epoch() {
    return epoch.get();
  }

  /** Caches {@code b}, read from disk after {@link #epoch} returned {@code readEpoch}. */
  void put(Block b, long readEpoch) {
    int slot = slot(b.segmentBase, b.n);
    slots.set(slot, b);
    if (epoch.get() != readEpoch) {
      slots.compareAndSet(slot, b, null); // a forget ran while b was read: it may hold rewritten bytes
    }
  }

  /** Drops the cached blocks of {@code [fromFilePos, toFilePos)} of the segment at {@code segmentBase}. */
  void forget(long segmentBase, long fromFilePos, long toFilePos) {
    epoch.incrementAndGet();
    if (slotCount == 0 || toFilePos <= fromFilePos) {
      return;
    }
    for (long n = fromFilePos / BLOCK_BYTES; n <= (toFilePos - 1) / BLOCK_BYTES; n++) {
      int slot = slot(segmentBase, n);
      Block b = slots.get(slot);
      if (b != null && b.segmentBase == segmentBase && b.n == n) {
        slots.compareAndSet(slot, b, null);
      }
    }
  }

  void clear() {
    for (int i = 0; i < slots.length(); i++) {
      slots.set(i, null);
    }
  }

  private int slot(long segmentBase, long n) {
    // consecutive blocks of a segment take consecutive slots; segments start at different slots
    long h = n + (segmentBase / BLOCK_BYTES) * 0x9E3779B97F4A7C15L;
    return (int) Math.floorMod(h, (long) slotCount);
  }
}
