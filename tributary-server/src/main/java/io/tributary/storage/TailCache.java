package io.tributary.storage;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The most recent bytes of a group's segment space, kept in memory so live readers (SSE,
 * long-poll, readers near the tail) never touch the disk. A ring of fixed-size chunks addressed
 * by global position. Chunks are never reused: the writer allocates a fresh chunk when it enters
 * a new chunk span, so a reader holding an old chunk still sees valid bytes, and a reader that
 * finds a slot holding a different span simply misses and falls back to disk.
 *
 * <p>A chunk holds valid bytes only from where its first write began ({@code validFrom}): after
 * the store is opened or truncated, the first write lands in the middle of a span whose earlier
 * bytes are on disk but were never copied here, and a fresh chunk holds zeros there. Reads below
 * {@code validFrom} miss and go to disk.
 *
 * <p>Threads: {@link #write} only on the group's apply thread; {@link #read} on any thread, and
 * only for positions below the store's published end (published by a volatile write after the
 * bytes are written here).
 */
final class TailCache {
  static final int CHUNK_BYTES = 64 * 1024;

  private record Chunk(long base, int validFrom, byte[] bytes) {}

  private final AtomicReferenceArray<Chunk> slots;
  private final int slotCount;

  TailCache(long capacityBytes) {
    this.slotCount = (int) Math.max(0, capacityBytes / CHUNK_BYTES);
    this.slots = new AtomicReferenceArray<>(Math.max(1, slotCount));
  }

  boolean enabled() {
    return slotCount > 0;
  }

  void write(long pos, byte[] src, int off, int len) {
    if (slotCount == 0) {
      return;
    }
    while (len > 0) {
      long base = pos - Math.floorMod(pos, CHUNK_BYTES);
      int slot = (int) Math.floorMod(base / CHUNK_BYTES, (long) slotCount);
      int inChunk = (int) (pos - base);
      Chunk c = slots.get(slot);
      if (c == null || c.base != base) {
        c = new Chunk(base, inChunk, new byte[CHUNK_BYTES]);
        slots.set(slot, c);
      }
      int n = Math.min(len, CHUNK_BYTES - inChunk);
      System.arraycopy(src, off, c.bytes, inChunk, n);
      pos += n;
      off += n;
      len -= n;
    }
  }

  /** Copies [pos, pos+len) into dst if all of it is cached; returns false (dst partly written) otherwise. */
  boolean read(long pos, byte[] dst, int off, int len) {
    if (slotCount == 0) {
      return false;
    }
    while (len > 0) {
      long base = pos - Math.floorMod(pos, CHUNK_BYTES);
      int slot = (int) Math.floorMod(base / CHUNK_BYTES, (long) slotCount);
      int inChunk = (int) (pos - base);
      Chunk c = slots.get(slot);
      if (c == null || c.base != base || inChunk < c.validFrom) {
        return false;
      }
      int n = Math.min(len, CHUNK_BYTES - inChunk);
      System.arraycopy(c.bytes, inChunk, dst, off, n);
      pos += n;
      off += n;
      len -= n;
    }
    return true;
  }

  /** Drops everything (after truncation on recovery). */
  void clear() {
    for (int i = 0; i < slots.length(); i++) {
      slots.set(i, null);
    }
  }
}
