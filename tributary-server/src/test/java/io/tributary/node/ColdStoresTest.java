package io.tributary.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cold.BlockCache;
import io.tributary.cold.LocalDirectoryObjectStore;
import io.tributary.cold.ObjectStore;
import io.tributary.cold.S3ObjectStore;
import io.tributary.config.TributaryConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the typed cold-tier settings become the object store and cache sizing they describe,
 * without I/O at construction. Method: build from configs and inspect the results.
 */
class ColdStoresTest {
  @TempDir
  Path dataDir;

  @Test
  void theDefaultIsADirectoryUnderTheDataDirCreatedOnFirstUse() {
    TributaryConfig c = TributaryConfig.defaults().with(Map.of("data-dir", dataDir.toString()));
    try (ObjectStore store = ColdStores.open(c.cold())) {
      assertThat(store).isInstanceOf(LocalDirectoryObjectStore.class);
      assertThat(((LocalDirectoryObjectStore) store).root()).isEqualTo(dataDir.resolve("objects").toAbsolutePath());
      assertThat(dataDir.resolve("objects")).doesNotExist();
    }
    BlockCache.Options o = ColdStores.cacheOptions(c.cold());
    assertThat(o.blockBytes()).isEqualTo(1 << 20);
    assertThat(o.cacheBytesMax()).isEqualTo(64L << 20);
    assertThat(o.prefetchBlocks()).isEqualTo(2);
  }

  @Test
  void s3SettingsBecomeStoreOptions() {
    TributaryConfig c = TributaryConfig.defaults().with(Map.of("object-store", "s3", "s3-bucket", "cold-bucket",
        "s3-endpoint", "http://127.0.0.1:9", "s3-allow-http", "true", "s3-prefix", "/prod/c1/", "s3-path-style", "true", "s3-access-key", "AK",
        "s3-secret-key", "SK", "s3-read-timeout-ms", "1500", "s3-attempts-max", "1"));
    try (ObjectStore store = ColdStores.open(c.cold())) {
      S3ObjectStore.Options o = ((S3ObjectStore) store).options();
      assertThat(o.prefix()).isEqualTo("prod/c1/");
      assertThat(o.readTimeout()).isEqualTo(Duration.ofMillis(1500));
      assertThat(o.attemptsMax()).isEqualTo(1);
      assertThat(o.pathStyle()).isTrue();
      assertThat(store.describe()).isEqualTo("s3://cold-bucket/prod/c1/ at http://127.0.0.1:9 (path-style)");
    }
  }
}
