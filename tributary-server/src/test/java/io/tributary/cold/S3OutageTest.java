package io.tributary.cold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.testing.S3ProxyServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: while S3 is down or hung, every {@link S3ObjectStore} call fails with
 * {@link ObjectStoreUnavailableException} within a bound set by the store's timeouts (never a hang,
 * never "not found"), and once S3 is back the same store works again and the data written before
 * the outage is intact. Method: a store with short timeouts (connect 1 s, read 1 s, 2 attempts)
 * against s3proxy; first kill s3proxy (connections refused), time each operation, restart it on
 * the same port and data, poll until a read succeeds; then SIGSTOP it (connections accepted, no
 * answer: only the read timeout can end the call), time a read, SIGCONT, read again.
 */
class S3OutageTest {
  private static final String BUCKET = "tributary-outage";
  /** 2 attempts × (1 s connect or 1 s read) + the SDK's backoff, with room for a loaded CI box. */
  private static final Duration FAILURE_BOUND = Duration.ofSeconds(8);

  @TempDir
  static Path s3Dir;
  private static S3ProxyServer s3;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3ProxyServer.start("outage", s3Dir);
    s3.createBucket(BUCKET);
  }

  @AfterAll
  static void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  private static S3ObjectStore shortTimeoutStore(String prefix) {
    return new S3ObjectStore(s3.storeOptions(BUCKET, prefix)
        .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(5), 2));
  }

  /** Runs {@code op}, which must fail as unavailable, and returns how long that took. */
  private static Duration failsUnavailable(String what, Consumer<ObjectStore> op, ObjectStore store) {
    long start = System.nanoTime();
    assertThatThrownBy(() -> op.accept(store)).as(what).isInstanceOf(ObjectStoreUnavailableException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).as("%s failed after %s", what, took).isLessThan(FAILURE_BOUND);
    return took;
  }

  @Test
  void aStoppedServerMakesEveryCallUnavailableAndARestartedOneServesTheSameData() throws Exception {
    byte[] data = new byte[300_000];
    new SplittableRandom(7).nextBytes(data);
    try (S3ObjectStore store = shortTimeoutStore("down")) {
      store.put("g1/s1/0-300000.chunk", data);

      s3.stop();
      List<Consumer<ObjectStore>> ops = List.of(
          s -> s.get("g1/s1/0-300000.chunk"),
          s -> s.getRange("g1/s1/0-300000.chunk", 1000, 100),
          s -> s.head("g1/s1/0-300000.chunk"),
          s -> s.list("g1/", null, 10),
          s -> s.put("g1/s1/new", new byte[10]),
          s -> s.delete("g1/s1/0-300000.chunk"),
          ObjectStore::check);
      for (int i = 0; i < ops.size(); i++) {
        failsUnavailable("operation " + i + " with S3 stopped", ops.get(i), store);
      }

      s3.restart();
      // the same store (same client and connection pool) recovers without being rebuilt
      Awaitility.await("reads work again after the restart").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .ignoreException(ObjectStoreUnavailableException.class)
          .until(() -> Arrays.equals(store.get("g1/s1/0-300000.chunk"), data));
      assertThat(store.getRange("g1/s1/0-300000.chunk", 299_990, 100)).isEqualTo(Arrays.copyOfRange(data, 299_990, 300_000));
      assertThat(store.listAll("g1/")).extracting(ObjectInfo::key).as("the failed put left nothing").containsExactly("g1/s1/0-300000.chunk");
    }
  }

  @Test
  void aHungServerIsCutOffByTheReadTimeout() throws Exception {
    byte[] data = new byte[10_000];
    new SplittableRandom(11).nextBytes(data);
    try (S3ObjectStore store = shortTimeoutStore("hung")) {
      store.put("k", data);
      s3.pause();
      try {
        Duration took = failsUnavailable("a ranged get from a paused server", s -> s.getRange("k", 0, 100), store);
        assertThat(took).as("it waited for the read timeout, so the connection was accepted").isGreaterThanOrEqualTo(Duration.ofMillis(900));
        failsUnavailable("a put to a paused server", s -> s.put("k2", data), store);
      } finally {
        s3.resume();
      }
      Awaitility.await("reads work again after SIGCONT").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .ignoreException(ObjectStoreUnavailableException.class)
          .until(() -> Arrays.equals(store.getRange("k", 0, 10_000), data));
    }
  }

  @Test
  void theBlockCacheReportsAnOutageAndServesCachedBlocksThroughIt() throws Exception {
    byte[] data = new byte[64 * 1024];
    new SplittableRandom(13).nextBytes(data);
    try (S3ObjectStore store = shortTimeoutStore("cache");
        BlockCache cache = new BlockCache(store, BlockCache.Options.of(16 * 1024, 1024 * 1024, 0))) {
      store.put("k", data);
      assertThat(cache.read("k", 0, 20_000)).isEqualTo(Arrays.copyOfRange(data, 0, 20_000)); // blocks 0 and 1 cached
      s3.stop();
      try {
        assertThat(cache.read("k", 100, 30_000)).as("cached blocks need no S3").isEqualTo(Arrays.copyOfRange(data, 100, 30_100));
        long start = System.nanoTime();
        assertThatThrownBy(() -> cache.read("k", 40_000, 100)).isInstanceOf(ObjectStoreUnavailableException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAILURE_BOUND);
      } finally {
        s3.restart();
      }
      Awaitility.await("cold reads work again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .ignoreException(ObjectStoreUnavailableException.class)
          .until(() -> Arrays.equals(cache.read("k", 40_000, 100), Arrays.copyOfRange(data, 40_000, 40_100)));
    }
  }
}
