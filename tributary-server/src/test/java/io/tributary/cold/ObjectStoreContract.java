package io.tributary.cold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: every {@link ObjectStore} implementation keeps the same contract, so the cold tier can
 * run on a directory or on S3 without noticing. Method: each test writes objects through a fresh
 * store (a subclass says how to build one; stores of one class may share a backend, so each test
 * gets its own key space), then checks the bytes, sizes, listings and errors it gets back against
 * what it wrote. Payloads are seeded-random (the seed is in the assertion messages).
 */
abstract class ObjectStoreContract {
  /** A store whose key space is empty and not shared with any other test. */
  protected abstract ObjectStore newStore() throws Exception;

  protected ObjectStore store;
  protected final long seed = Long.getLong("seed", System.nanoTime());
  private final SplittableRandom random = new SplittableRandom(seed);

  @TempDir
  Path tmp;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  protected byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  @Test
  void putThenGetReturnsTheSameBytes() {
    byte[] data = randomBytes(10_000);
    store.put("g1/s1/0-10000.chunk", data);
    assertThat(store.get("g1/s1/0-10000.chunk")).as("seed %d", seed).isEqualTo(data);
    assertThat(store.head("g1/s1/0-10000.chunk")).extracting(ObjectInfo::key, ObjectInfo::sizeBytes)
        .containsExactly("g1/s1/0-10000.chunk", 10_000L);
  }

  @Test
  void rangedGetReturnsExactlyTheAskedSliceAndStopsAtTheEnd() {
    byte[] data = randomBytes(10_000);
    store.put("r/obj", data);
    long[][] ranges = {{0, 1}, {0, 10_000}, {9_999, 1}, {5_000, 100}, {4_095, 2}, {9_990, 100}, {0, 20_000}};
    for (long[] r : ranges) {
      int from = (int) r[0];
      int to = (int) Math.min(data.length, r[0] + r[1]);
      assertThat(store.getRange("r/obj", r[0], (int) r[1])).as("range %d+%d, seed %d", r[0], r[1], seed)
          .isEqualTo(Arrays.copyOfRange(data, from, to));
    }
    assertThat(store.getRange("r/obj", 10_000, 10)).as("a range starting at the end").isEmpty();
    assertThat(store.getRange("r/obj", 50_000, 10)).as("a range starting past the end").isEmpty();
    assertThat(store.getRange("r/obj", 17, 0)).as("an empty range").isEmpty();
  }

  @Test
  void missingObjectsAreNotFoundForEveryRead() {
    assertThatThrownBy(() -> store.get("no/such/key")).isInstanceOf(ObjectNotFoundException.class);
    assertThatThrownBy(() -> store.getRange("no/such/key", 0, 10)).isInstanceOf(ObjectNotFoundException.class);
    assertThatThrownBy(() -> store.getRange("no/such/key", 0, 0)).isInstanceOf(ObjectNotFoundException.class);
    assertThatThrownBy(() -> store.head("no/such/key")).isInstanceOf(ObjectNotFoundException.class);
    assertThat(store.list("no/", null, 10)).isEmpty();
  }

  @Test
  void putReplacesAWholeObject() {
    store.put("k", randomBytes(5_000));
    byte[] second = randomBytes(300);
    store.put("k", second);
    assertThat(store.get("k")).isEqualTo(second);
    assertThat(store.head("k").sizeBytes()).isEqualTo(300);
  }

  @Test
  void emptyObjectsExist() {
    store.put("empty", new byte[0]);
    assertThat(store.get("empty")).isEmpty();
    assertThat(store.head("empty").sizeBytes()).isZero();
    assertThat(store.getRange("empty", 0, 10)).isEmpty();
  }

  @Test
  void deleteRemovesAndIsIdempotent() {
    store.put("d/a", randomBytes(10));
    store.put("d/b", randomBytes(10));
    store.delete("d/a");
    assertThatThrownBy(() -> store.get("d/a")).isInstanceOf(ObjectNotFoundException.class);
    store.delete("d/a");
    store.delete("never/existed");
    assertThat(store.list("d/", null, 10)).extracting(ObjectInfo::key).containsExactly("d/b");
  }

  @Test
  void listReturnsKeysUnderAPrefixInKeyOrderWithSizes() {
    List<String> keys = List.of("g1/s2/0-5", "g1/s1/10-20", "g10/x", "g1/s1/0-10", "g2/s1/0-1", "g1/s10/a");
    for (int i = 0; i < keys.size(); i++) {
      store.put(keys.get(i), randomBytes(i + 1));
    }
    assertThat(store.list("g1/", null, 100)).extracting(ObjectInfo::key, ObjectInfo::sizeBytes).containsExactly(
        tuple("g1/s1/0-10", 4L), tuple("g1/s1/10-20", 2L), tuple("g1/s10/a", 6L), tuple("g1/s2/0-5", 1L));
    assertThat(store.list("g1/s1/", null, 100)).extracting(ObjectInfo::key).containsExactly("g1/s1/0-10", "g1/s1/10-20");
    assertThat(store.list("g1/s1", null, 100)).as("a prefix that ends inside a segment")
        .extracting(ObjectInfo::key).containsExactly("g1/s1/0-10", "g1/s1/10-20", "g1/s10/a");
    assertThat(store.list("g1", null, 100)).extracting(ObjectInfo::key).hasSize(5).contains("g10/x");
    assertThat(store.list("", null, 100)).extracting(ObjectInfo::key).isSorted().hasSize(6);
    assertThat(store.listAll("g2/")).extracting(ObjectInfo::key).containsExactly("g2/s1/0-1");
  }

  /**
   * The orphan sweep ages objects by their last-modified time: a put sets it to about now (S3 keeps
   * whole seconds, truncated), listing and HEAD agree, and putting the same key again moves it
   * forward (how the sweep tells a fresh re-upload from the leftover it listed).
   */
  @Test
  void lastModifiedIsThePutTimeAndARePutMovesIt() {
    long before = System.currentTimeMillis();
    store.put("m/k", randomBytes(10));
    long after = System.currentTimeMillis();
    ObjectInfo first = store.head("m/k");
    assertThat(first.lastModifiedMillis()).as("HEAD after a put at [%d, %d]", before, after)
        .isBetween(before - 1000, after + 1000);
    assertThat(store.list("m/", null, 10)).extracting(ObjectInfo::lastModifiedMillis)
        .containsExactly(first.lastModifiedMillis());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long moved = first.lastModifiedMillis();
    while (moved == first.lastModifiedMillis() && System.nanoTime() < deadline) {
      store.put("m/k", randomBytes(10));
      moved = store.head("m/k").lastModifiedMillis();
    }
    assertThat(moved).as("last modified after putting the key again").isGreaterThan(first.lastModifiedMillis());
  }

  @Test
  void listPagesWithStartAfter() {
    for (int i = 0; i < 7; i++) {
      store.put("p/k" + i, randomBytes(1));
    }
    List<ObjectInfo> page1 = store.list("p/", null, 3);
    assertThat(page1).extracting(ObjectInfo::key).containsExactly("p/k0", "p/k1", "p/k2");
    List<ObjectInfo> page2 = store.list("p/", "p/k2", 3);
    assertThat(page2).extracting(ObjectInfo::key).containsExactly("p/k3", "p/k4", "p/k5");
    assertThat(store.list("p/", "p/k5", 3)).extracting(ObjectInfo::key).containsExactly("p/k6");
    assertThat(store.list("p/", "p/k6", 3)).isEmpty();
    assertThat(store.list("p/", "p/k31", 3)).as("startAfter need not be a key").extracting(ObjectInfo::key).containsExactly("p/k4", "p/k5", "p/k6");
  }

  @Test
  void deepKeysWithSlashesAndAllowedPunctuation() {
    String key = "tributary/g007/s0000000000000042/00000000000000000000-00000000000001048576.chunk";
    byte[] data = randomBytes(777);
    store.put(key, data);
    store.put("a=b/c_d-e.f", data);
    assertThat(store.get(key)).isEqualTo(data);
    assertThat(store.get("a=b/c_d-e.f")).isEqualTo(data);
    assertThat(store.list("tributary/g007/", null, 10)).extracting(ObjectInfo::key, ObjectInfo::sizeBytes)
        .containsExactly(tuple(key, 777L));
  }

  @Test
  void largeObjectsOfSeveralMebibytesFromBytesBuffersAndFiles() throws Exception {
    byte[] data = randomBytes(5 * 1024 * 1024 + 123);
    store.put("big/bytes", data);
    Path f = tmp.resolve("upload.bin");
    Files.write(f, data);
    store.putFile("big/file", f);
    ByteBuffer buf = ByteBuffer.allocate(data.length + 10);
    buf.position(10);
    buf.put(data).flip().position(10);
    store.put("big/buffer", buf);
    assertThat(buf.position()).as("put does not move the buffer's position").isEqualTo(10);
    for (String k : List.of("big/bytes", "big/file", "big/buffer")) {
      assertThat(store.head(k).sizeBytes()).as(k).isEqualTo(data.length);
      assertThat(Arrays.equals(store.get(k), data)).as("%s equals the source, seed %d", k, seed).isTrue();
      assertThat(store.getRange(k, 3 * 1024 * 1024 - 5, 1024 * 1024)).as(k)
          .isEqualTo(Arrays.copyOfRange(data, 3 * 1024 * 1024 - 5, 4 * 1024 * 1024 - 5));
    }
  }

  @Test
  void readersOfAKeyBeingReplacedSeeOneWholeObject() throws Exception {
    byte[] a = new byte[256 * 1024];
    byte[] b = new byte[384 * 1024];
    Arrays.fill(a, (byte) 'a');
    Arrays.fill(b, (byte) 'b');
    store.put("swap", a);
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> checked = readers.submit(() -> {
        int reads = 0;
        while (!done.get()) {
          byte[] got = store.get("swap");
          assertThat(got.length == a.length && got[got.length - 1] == 'a' && got[0] == 'a'
              || got.length == b.length && got[0] == 'b' && got[got.length - 1] == 'b').as("a whole old or new object").isTrue();
          reads++;
        }
        return reads;
      });
      for (int i = 0; i < 10; i++) {
        store.put("swap", i % 2 == 0 ? b : a);
      }
      done.set(true);
      assertThat(checked.get(60, TimeUnit.SECONDS)).isPositive();
    } finally {
      done.set(true);
      readers.shutdownNow();
    }
  }

  @Test
  void blockCacheReadsAreByteIdenticalToTheObject() {
    byte[] data = randomBytes(10 * 4096 + 137);
    store.put("bc/obj", data);
    try (BlockCache cache = new BlockCache(store, BlockCache.Options.of(4096, 4 * 4096, 1))) {
      SplittableRandom r = new SplittableRandom(seed);
      for (int i = 0; i < 60; i++) {
        int from = r.nextInt(data.length + 100);
        int len = r.nextInt(3 * 4096);
        int to = Math.min(data.length, from + len);
        assertThat(cache.read("bc/obj", from, len)).as("read %d+%d, seed %d", from, len, seed)
            .isEqualTo(from >= data.length ? new byte[0] : Arrays.copyOfRange(data, from, to));
      }
    }
  }

  @Test
  void malformedKeysAreRejectedBeforeAnyIo() {
    for (String bad : new String[] {"", "/abs", "a/../b", "..", ".", "a//b", "a/", ".hidden", "a/.tmp", "a b", "ü", "a\\b", "a?b"}) {
      assertThatThrownBy(() -> store.put(bad, new byte[1])).as("put '%s'", bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.get(bad)).as("get '%s'", bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.delete(bad)).as("delete '%s'", bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> store.list("../", null, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list("a", null, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.getRange("k", -1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
