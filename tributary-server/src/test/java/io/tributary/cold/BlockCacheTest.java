package io.tributary.cold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the block cache returns exactly the object's bytes for any range, never holds more than
 * its byte bound, turns concurrent misses on one block into one fetch (also when that fetch
 * fails), and reads ahead only for sequential readers and never past an object's end. Method: a
 * directory store wrapped in {@link InstrumentedStore}, which logs each ranged get and can hold
 * fetches at a gate; small blocks (4 KiB) keep objects small. Random ranges are seeded (the seed is
 * in the messages; rerun with -Dseed=N).
 */
class BlockCacheTest {
  private static final int BLOCK = 4096;

  @TempDir
  Path tmp;
  private InstrumentedStore store;
  private final long seed = Long.getLong("seed", System.nanoTime());
  private final SplittableRandom random = new SplittableRandom(seed);
  private final List<BlockCache> caches = new ArrayList<>();
  private ExecutorService readers;

  @BeforeEach
  void setUp() {
    store = new InstrumentedStore(new LocalDirectoryObjectStore(tmp.resolve("objects")));
    readers = Executors.newFixedThreadPool(8);
  }

  @AfterEach
  void tearDown() throws Exception {
    store.openGate();
    readers.shutdownNow();
    assertThat(readers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    caches.forEach(BlockCache::close);
  }

  private BlockCache cache(long cacheBytesMax, int prefetchBlocks) {
    BlockCache c = new BlockCache(store, BlockCache.Options.of(BLOCK, cacheBytesMax, prefetchBlocks));
    caches.add(c);
    return c;
  }

  private byte[] object(String key, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    store.put(key, b);
    return b;
  }

  private static byte[] slice(byte[] data, long from, int len) {
    return from >= data.length ? new byte[0] : Arrays.copyOfRange(data, (int) from, (int) Math.min(data.length, from + len));
  }

  @Test
  void anyRangeIsByteIdenticalToTheSourceAcrossBlockBoundaries() {
    byte[] data = object("o", 10 * BLOCK + 137);
    byte[] exact = object("exact", 3 * BLOCK); // ends exactly on a block boundary
    BlockCache cache = cache(5L * BLOCK, 2);
    long[][] edges = {{0, 0}, {0, 1}, {BLOCK - 1, 2}, {BLOCK, BLOCK}, {BLOCK - 1, 3 * BLOCK + 2}, {10 * BLOCK, 137},
        {10 * BLOCK + 136, 10}, {10 * BLOCK + 137, 5}, {99 * BLOCK, 5}, {0, 11 * BLOCK}};
    for (long[] e : edges) {
      assertThat(cache.read("o", e[0], (int) e[1])).as("read %d+%d", e[0], e[1]).isEqualTo(slice(data, e[0], (int) e[1]));
    }
    for (int i = 0; i < 300; i++) {
      long from = random.nextLong(data.length + 2L * BLOCK);
      int len = random.nextInt(4 * BLOCK);
      assertThat(cache.read("o", from, len)).as("read %d+%d, seed %d", from, len, seed).isEqualTo(slice(data, from, len));
      long from2 = random.nextLong(exact.length + BLOCK);
      assertThat(cache.read("exact", from2, len)).as("read exact %d+%d, seed %d", from2, len, seed).isEqualTo(slice(exact, from2, len));
    }
    assertThat(cache.stats().hits()).as("random reads over a 10-block object with a 5-block cache hit sometimes").isPositive();
  }

  @Test
  void cachedBytesNeverExceedTheBoundAndEvictionIsLeastRecentlyUsed() {
    byte[] data = object("o", 10 * BLOCK);
    BlockCache cache = cache(3L * BLOCK + 100, 0); // room for 3 whole blocks, not 4
    for (int b = 0; b < 10; b++) {
      assertThat(cache.read("o", (long) b * BLOCK, BLOCK)).isEqualTo(slice(data, (long) b * BLOCK, BLOCK));
      BlockCache.Stats s = cache.stats();
      assertThat(s.cachedBytes()).as("after block %d", b).isLessThanOrEqualTo(3L * BLOCK + 100);
      assertThat(s.cachedBlocks()).isEqualTo(Math.min(b + 1, 3));
    }
    assertThat(cache.stats().evictions()).isEqualTo(7);
    // cached now: 7, 8, 9. Touch 7 so 8 is the eldest, then bring 0 in: 8 must go, 7 and 9 stay
    int fetched = store.rangeGets.size();
    cache.read("o", 7L * BLOCK, 10);
    assertThat(store.rangeGets).as("block 7 was a hit").hasSize(fetched);
    cache.read("o", 0, 10);
    assertThat(store.rangeGets).hasSize(fetched + 1);
    cache.read("o", 7L * BLOCK, 10);
    cache.read("o", 9L * BLOCK, 10);
    assertThat(store.rangeGets).as("7 and 9 stayed").hasSize(fetched + 1);
    cache.read("o", 8L * BLOCK, 10);
    assertThat(store.rangeGets).as("8 was evicted").hasSize(fetched + 2);
  }

  @Test
  void aZeroByteCacheStillServesReads() {
    byte[] data = object("o", 3 * BLOCK);
    BlockCache cache = cache(0, 0);
    assertThat(cache.read("o", 10, 2 * BLOCK)).isEqualTo(slice(data, 10, 2 * BLOCK));
    assertThat(cache.stats().cachedBytes()).isZero();
  }

  @Test
  void concurrentMissesOnOneBlockShareOneFetch() throws Exception {
    byte[] data = object("o", 4 * BLOCK);
    BlockCache cache = cache(16L * BLOCK, 0);
    store.closeGate();
    List<Future<byte[]>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      int off = i * 100;
      results.add(readers.submit(() -> cache.read("o", BLOCK + off, 50)));
    }
    // one reader is inside the store's fetch; the other seven wait for it
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> cache.stats().coalesced() == 7 && store.rangeGetsStarted.get() == 1);
    store.openGate();
    for (int i = 0; i < 8; i++) {
      assertThat(results.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(slice(data, BLOCK + i * 100L, 50));
    }
    assertThat(store.blocksFetched("o", BLOCK)).containsExactly(1L);
    BlockCache.Stats s = cache.stats();
    assertThat(s.misses()).isEqualTo(8);
    assertThat(s.fetches()).isEqualTo(1);
    cache.read("o", BLOCK, 1);
    assertThat(cache.stats().hits()).isEqualTo(1);
  }

  @Test
  void aFailedFetchFailsEveryWaiterWithItsKindAndIsNotCached() throws Exception {
    byte[] data = object("o", 2 * BLOCK);
    BlockCache cache = cache(16L * BLOCK, 0);
    store.closeGate();
    store.failWith(new ObjectStoreUnavailableException("test: S3 is down", null));
    List<Future<byte[]>> results = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      results.add(readers.submit(() -> cache.read("o", 0, 10)));
    }
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> cache.stats().coalesced() == 3);
    store.openGate();
    for (Future<byte[]> f : results) {
      assertThatThrownBy(() -> f.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(ObjectStoreUnavailableException.class)
          .cause().hasMessageContaining("S3 is down");
    }
    assertThat(cache.stats().cachedBlocks()).isZero();
    store.failWith(null);
    assertThat(cache.read("o", 0, 10)).as("the next read fetches again").isEqualTo(slice(data, 0, 10));
    assertThatThrownBy(() -> cache.read("missing", 0, 10)).isInstanceOf(ObjectNotFoundException.class);
  }

  @Test
  void aSequentialReaderGetsTheNextBlocksPrefetchedButNotPastTheEnd() {
    byte[] data = object("o", 5 * BLOCK + 10); // blocks 0..5, block 5 is short
    BlockCache cache = cache(64L * BLOCK, 2);
    assertThat(cache.read("o", 0, 100)).isEqualTo(slice(data, 0, 100));
    awaitPrefetchesDone(cache);
    assertThat(store.blocksFetched("o", BLOCK)).containsExactly(0L, 1L, 2L);
    // the reader moves on: block 1 is a hit, and reading it prefetches 3
    assertThat(cache.read("o", BLOCK, BLOCK)).isEqualTo(slice(data, BLOCK, BLOCK));
    awaitPrefetchesDone(cache);
    assertThat(cache.stats().hits()).isEqualTo(1);
    assertThat(store.blocksFetched("o", BLOCK)).containsExactly(0L, 1L, 2L, 3L);
    // block 4 is read by the reader after its predecessors; the prefetch of 5 finds the end there
    cache.read("o", 2L * BLOCK, 3 * BLOCK);
    awaitPrefetchesDone(cache);
    cache.read("o", 5L * BLOCK, BLOCK);
    awaitPrefetchesDone(cache);
    assertThat(store.blocksFetched("o", BLOCK)).as("no fetch of block 6 or beyond").containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    assertThat(cache.stats().prefetchFailures()).isZero();
  }

  @Test
  void aRandomReadInTheMiddleDoesNotPrefetch() {
    object("o", 20 * BLOCK);
    BlockCache cache = cache(64L * BLOCK, 4);
    cache.read("o", 9L * BLOCK + 5, 100);
    cache.read("o", 15L * BLOCK + 5, 100);
    assertThat(cache.stats().prefetchesQueued()).isZero();
    assertThat(store.blocksFetched("o", BLOCK)).containsExactly(9L, 15L);
    cache.read("o", 10L * BLOCK, 100); // follows block 9, which is cached: now it looks sequential
    awaitPrefetchesDone(cache);
    assertThat(store.blocksFetched("o", BLOCK)).containsExactly(9L, 15L, 10L, 11L, 12L, 13L, 14L);
  }

  @Test
  void aReaderArrivingWhileItsBlockIsPrefetchedWaitsForThatFetch() throws Exception {
    byte[] data = object("o", 4 * BLOCK);
    BlockCache cache = cache(64L * BLOCK, 1);
    cache.read("o", 0, 10);
    awaitPrefetchesDone(cache);
    store.rangeGets.clear();
    int started = store.rangeGetsStarted.get();
    store.closeGate();
    cache.read("o", BLOCK, 10); // hit on 1, queues a prefetch of 2 that stops at the gate
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> store.rangeGetsStarted.get() == started + 1);
    Future<byte[]> reader = readers.submit(() -> cache.read("o", 2L * BLOCK, 10));
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> cache.stats().coalesced() == 1);
    store.openGate();
    assertThat(reader.get(20, TimeUnit.SECONDS)).isEqualTo(slice(data, 2L * BLOCK, 10));
    awaitPrefetchesDone(cache);
    assertThat(store.blocksFetched("o", BLOCK)).as("block 2 fetched once, then 3 read ahead").containsExactly(2L, 3L);
  }

  @Test
  void invalidateDropsAnObjectsBlocks() {
    object("a", 2 * BLOCK);
    object("b", 2 * BLOCK);
    BlockCache cache = cache(64L * BLOCK, 0);
    cache.read("a", 0, 2 * BLOCK);
    cache.read("b", 0, 2 * BLOCK);
    cache.invalidate("a");
    assertThat(cache.stats().cachedBlocks()).isEqualTo(2);
    assertThat(cache.stats().cachedBytes()).isEqualTo(2L * BLOCK);
  }

  private static void awaitPrefetchesDone(BlockCache cache) {
    Awaitility.await("prefetches finish").atMost(Duration.ofSeconds(20)).until(() -> {
      BlockCache.Stats s = cache.stats();
      return s.prefetchesDone() == s.prefetchesQueued();
    });
  }
}
