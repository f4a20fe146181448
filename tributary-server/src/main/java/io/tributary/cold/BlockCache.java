package io.tributary.cold;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded read-through cache of fixed-size blocks of objects, for cold reads: block {@code i}
 * of object {@code k} is bytes {@code [i × blockBytes, (i + 1) × blockBytes)} of {@code k}, fetched
 * with one ranged get. {@link #read} serves any byte range from blocks, so a reader sees exactly
 * the object's bytes whatever the block boundaries. A block shorter than {@code blockBytes} is
 * the object's last; a read stops there.
 *
 * <pre>
 *   read(key, offset, length)
 *     │  for each block the range touches:
 *     ├─ cached? ──────────────────────────────► hit: copy out (LRU order updated)
 *     ├─ being fetched (reader or prefetch)? ───► coalesced: wait for that one fetch
 *     └─ else fetch: store.getRange(key, i × blockBytes, blockBytes) ─► insert, evict LRU to fit
 *     └─ sequential (offset 0, several blocks, or the previous block is cached) and the last
 *        block was full: queue a prefetch of the next {@code prefetchBlocks} blocks
 * </pre>
 *
 * <p>Bounds: cached blocks hold at most {@code cacheBytesMax} bytes (least recently used blocks
 * are evicted first; a block larger than the whole bound is served but not kept). Blocks being
 * fetched are outside that bound; there is at most one fetch per block at a time and at most one
 * per calling or prefetch thread, so they add at most (callers + prefetch threads) × blockBytes.
 * Prefetches run on {@code prefetchThreads} daemon threads with a queue of
 * {@code prefetchQueueMax} tasks; when it is full the prefetch is dropped (counted), never the read.
 *
 * <p>Objects are immutable (see {@link ObjectStore}), so a cached block never goes stale. After
 * an object is deleted, {@link #invalidate} frees its blocks (a fetch still in flight for it may
 * re-insert one block, which ages out by LRU).
 *
 * <p>Errors: a read throws what the store threw ({@link ObjectNotFoundException},
 * {@link ObjectStoreUnavailableException}, ...); readers that waited for the same fetch get a copy
 * of the same exception type. A failed fetch caches nothing, so the next read retries. Prefetch
 * failures are counted and otherwise ignored (the reader's own fetch will report them).
 *
 * <p>Threads: thread-safe. {@link #read} may be called from any number of threads and blocks the
 * caller on store I/O (so: the cold-read pool, never an event loop or an engine apply thread). The
 * block map and its byte count are guarded by one lock held only for map operations, never
 * during I/O; in-flight fetches are a concurrent map of futures; counters are {@link LongAdder}s
 * readable at any time through {@link #stats}.
 */
public final class BlockCache implements AutoCloseable {

  /** Sizing of a cache. {@code cacheBytesMax} 0 caches nothing (reads still coalesce); {@code prefetchBlocks} 0 turns prefetch off. */
  public record Options(int blockBytes, long cacheBytesMax, int prefetchBlocks, int prefetchThreads, int prefetchQueueMax) {
    public Options {
      if (blockBytes < 1 || cacheBytesMax < 0 || prefetchBlocks < 0 || prefetchThreads < 1 || prefetchQueueMax < 1) {
        throw new IllegalArgumentException("bad block cache options: blockBytes " + blockBytes + ", cacheBytesMax " + cacheBytesMax
            + ", prefetchBlocks " + prefetchBlocks + ", prefetchThreads " + prefetchThreads + ", prefetchQueueMax " + prefetchQueueMax);
      }
    }

    /** Blocks of {@code blockBytes}, at most {@code cacheBytesMax} cached, {@code prefetchBlocks} read ahead on 2 threads. */
    public static Options of(int blockBytes, long cacheBytesMax, int prefetchBlocks) {
      return new Options(blockBytes, cacheBytesMax, prefetchBlocks, 2, 64);
    }
  }

  /**
   * Counters since the cache was built, plus the current size. {@code hits + misses} counts the
   * blocks readers asked for; {@code fetches} the ranged gets issued (by readers and prefetch);
   * {@code coalesced} the reader misses that waited for a fetch already in flight; prefetch tasks
   * are queued, dropped (queue full), done (finished, whatever the outcome) or failed.
   */
  public record Stats(long hits, long misses, long fetches, long coalesced, long prefetchesQueued, long prefetchesDropped,
      long prefetchesDone, long prefetchFailures, long evictions, long cachedBytes, int cachedBlocks) {}

  private record BlockId(String key, long index) {}

  private final ObjectStore store;
  private final Options options;
  private final int blockBytes;

  private final Object lock = new Object();
  /** Cached blocks in LRU order (access order: eldest first). Guarded by {@link #lock}. */
  private final LinkedHashMap<BlockId, byte[]> blocks = new LinkedHashMap<>(16, 0.75f, true);
  /** Sum of the cached blocks' lengths. Guarded by {@link #lock}. */
  private long cachedBytes;

  private final ConcurrentHashMap<BlockId, CompletableFuture<byte[]>> inFlight = new ConcurrentHashMap<>();
  private final ThreadPoolExecutor prefetcher;

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder fetches = new LongAdder();
  private final LongAdder coalesced = new LongAdder();
  private final LongAdder prefetchesQueued = new LongAdder();
  private final LongAdder prefetchesDropped = new LongAdder();
  private final LongAdder prefetchesDone = new LongAdder();
  private final LongAdder prefetchFailures = new LongAdder();
  private final LongAdder evictions = new LongAdder();

  public BlockCache(ObjectStore store, Options options) {
    this.store = store;
    this.options = options;
    this.blockBytes = options.blockBytes();
    if (options.prefetchBlocks() > 0) {
      AtomicInteger n = new AtomicInteger();
      this.prefetcher = new ThreadPoolExecutor(options.prefetchThreads(), options.prefetchThreads(), 0, TimeUnit.MILLISECONDS,
          new ArrayBlockingQueue<>(options.prefetchQueueMax()), r -> {
            Thread t = new Thread(r, "tributary-cold-prefetch-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          }, new ThreadPoolExecutor.AbortPolicy());
    } else {
      this.prefetcher = null;
    }
  }

  public Options options() {
    return options;
  }

  /**
   * Up to {@code lengthBytes} bytes of object {@code key} from {@code offset}: exactly that many
   * unless the object ends first (then up to its end; empty at or past the end), byte-identical
   * to {@link ObjectStore#getRange}.
   *
   * @throws ObjectNotFoundException if the object does not exist
   * @throws ObjectStoreUnavailableException if a block could not be fetched now
   */
  public byte[] read(String key, long offset, int lengthBytes) {
    if (offset < 0 || lengthBytes < 0) {
      throw new IllegalArgumentException("bad range offset " + offset + " length " + lengthBytes + " of " + key);
    }
    ObjectKeys.validate(key);
    long first = offset / blockBytes;
    byte[] out = new byte[lengthBytes];
    int done = 0;
    long index = first;
    boolean more = true; // the last block touched was full, so the object may go on
    while (true) {
      byte[] block = load(new BlockId(key, index), true);
      more = block.length == blockBytes;
      int from = (int) (offset + done - index * blockBytes);
      int n = Math.min(Math.max(0, block.length - from), lengthBytes - done);
      System.arraycopy(block, Math.min(from, block.length), out, done, n);
      done += n;
      if (done == lengthBytes || !more) {
        break;
      }
      index++;
    }
    if (more && prefetcher != null && (first == 0 || index > first || isCached(new BlockId(key, first - 1)))) {
      prefetchAfter(key, index);
    }
    return done == lengthBytes ? out : Arrays.copyOf(out, done);
  }

  /** The block, from the cache or one (possibly shared) fetch. {@code reader}: counts as a reader's request. */
  private byte[] load(BlockId id, boolean reader) {
    byte[] cached = lookup(id);
    if (cached != null) {
      if (reader) {
        hits.increment();
      }
      return cached;
    }
    if (reader) {
      misses.increment();
    }
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> running = inFlight.putIfAbsent(id, mine);
    if (running != null) {
      if (reader) {
        coalesced.increment();
      }
      return await(running, id);
    }
    try {
      // a fetch may have completed (inserted, then left inFlight) between lookup and putIfAbsent
      byte[] b = lookup(id);
      if (b == null) {
        b = store.getRange(id.key(), id.index() * blockBytes, blockBytes);
        fetches.increment();
        if (b.length > blockBytes) {
          throw new IllegalStateException(store.describe() + " returned " + b.length + " bytes for a range of " + blockBytes);
        }
        insert(id, b);
      }
      mine.complete(b);
      return b;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(id, mine); // after insert: a block is always either cached or in flight or absent
    }
  }

  private byte[] await(CompletableFuture<byte[]> running, BlockId id) {
    try {
      return running.get(); // bounded: the fetching thread's store call has its own timeouts
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ObjectStoreUnavailableException("interrupted while waiting for block " + id.index() + " of " + id.key(), e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ObjectStoreException ose) {
        throw copyForWaiter(ose);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException("fetch of block " + id.index() + " of " + id.key() + " failed", cause);
    }
  }

  /** A fresh exception of the same kind, so a waiting reader's stack shows where it waited. */
  private static ObjectStoreException copyForWaiter(ObjectStoreException e) {
    return switch (e) {
      case ObjectNotFoundException nf -> new ObjectNotFoundException(nf.getMessage());
      case ObjectStoreUnavailableException u -> new ObjectStoreUnavailableException(u.getMessage(), u);
      case ObjectStoreRejectedException r -> new ObjectStoreRejectedException(r.getMessage(), r);
    };
  }

  private void prefetchAfter(String key, long lastIndex) {
    boolean behind = false;
    for (long i = lastIndex + 1; i <= lastIndex + options.prefetchBlocks() && !behind; i++) {
      BlockId id = new BlockId(key, i);
      behind = !isCached(id) && !inFlight.containsKey(id);
    }
    if (!behind) {
      return; // already ahead of this reader (the common case for a reader reading less than a block at a time)
    }
    prefetchesQueued.increment(); // before the task can count itself done
    try {
      prefetcher.execute(() -> prefetch(key, lastIndex + 1, lastIndex + options.prefetchBlocks()));
    } catch (RejectedExecutionException e) {
      prefetchesQueued.decrement();
      prefetchesDropped.increment(); // full queue or closed: read-ahead is optional
    }
  }

  /** Fetches blocks {@code from..to} in order, stopping at the object's end or a failure. */
  private void prefetch(String key, long from, long to) {
    try {
      for (long i = from; i <= to; i++) {
        BlockId id = new BlockId(key, i);
        if (isCached(id) || inFlight.containsKey(id)) {
          continue;
        }
        if (load(id, false).length < blockBytes) {
          return; // the object ends in this block
        }
      }
    } catch (RuntimeException e) {
      prefetchFailures.increment();
    } finally {
      prefetchesDone.increment();
    }
  }

  private byte[] lookup(BlockId id) {
    synchronized (lock) {
      return blocks.get(id);
    }
  }

  private boolean isCached(BlockId id) {
    synchronized (lock) {
      return blocks.containsKey(id); // containsKey does not touch the LRU order
    }
  }

  private void insert(BlockId id, byte[] b) {
    if (b.length == 0 || b.length > options.cacheBytesMax()) {
      return; // past the end, or larger than the whole cache
    }
    synchronized (lock) {
      byte[] previous = blocks.put(id, b);
      cachedBytes += b.length - (previous == null ? 0 : previous.length);
      Iterator<Map.Entry<BlockId, byte[]>> eldest = blocks.entrySet().iterator();
      while (cachedBytes > options.cacheBytesMax()) {
        Map.Entry<BlockId, byte[]> e = eldest.next();
        cachedBytes -= e.getValue().length;
        eldest.remove();
        evictions.increment();
      }
      assert cachedBytes >= 0 && cachedBytes <= options.cacheBytesMax() : "cached bytes " + cachedBytes;
    }
  }

  /** Drops every cached block of {@code key} (after the object was deleted). */
  public void invalidate(String key) {
    synchronized (lock) {
      Iterator<Map.Entry<BlockId, byte[]>> it = blocks.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<BlockId, byte[]> e = it.next();
        if (e.getKey().key().equals(key)) {
          cachedBytes -= e.getValue().length;
          it.remove();
        }
      }
    }
  }

  public Stats stats() {
    long bytes;
    int count;
    synchronized (lock) {
      bytes = cachedBytes;
      count = blocks.size();
    }
    return new Stats(hits.sum(), misses.sum(), fetches.sum(), coalesced.sum(), prefetchesQueued.sum(), prefetchesDropped.sum(),
        prefetchesDone.sum(), prefetchFailures.sum(), evictions.sum(), bytes, count);
  }

  /** Stops prefetching (queued prefetches are dropped, running ones finish their fetch) and empties the cache. */
  @Override
  public void close() {
    if (prefetcher != null) {
      prefetcher.shutdownNow();
    }
    synchronized (lock) {
      blocks.clear();
      cachedBytes = 0;
    }
  }
}
