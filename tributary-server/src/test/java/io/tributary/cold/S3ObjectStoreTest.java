package io.tributary.cold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.testing.S3ProxyServer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: {@link S3ObjectStore} keeps the {@link ObjectStoreContract} against a real S3 API server
 * (s3proxy: SigV4, ranges, ListObjectsV2 paging), keeps stores with different prefixes apart,
 * and maps the server's refusals (bad credentials, a missing bucket) to
 * {@link ObjectStoreRejectedException}, not to "not found" or "unavailable". Method: one s3proxy
 * for the class with the filesystem backend; each test's store gets its own key prefix.
 */
class S3ObjectStoreTest extends ObjectStoreContract {
  private static final String BUCKET = "tributary-test";
  private static final AtomicInteger STORES = new AtomicInteger();

  @TempDir
  static Path s3Dir;
  private static S3ProxyServer s3;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3ProxyServer.start("contract", s3Dir);
    s3.createBucket(BUCKET);
  }

  @AfterAll
  static void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  @Override
  protected ObjectStore newStore() {
    return new S3ObjectStore(s3.storeOptions(BUCKET, "cluster-a/test-" + STORES.incrementAndGet()));
  }

  @Test
  void prefixesSeparateStoresInOneBucket() {
    try (ObjectStore other = new S3ObjectStore(s3.storeOptions(BUCKET, "cluster-b/other-" + STORES.incrementAndGet()))) {
      store.put("g1/k", new byte[] {1});
      other.put("g1/k", new byte[] {2, 2});
      assertThat(store.get("g1/k")).containsExactly(1);
      assertThat(other.get("g1/k")).containsExactly(2, 2);
      assertThat(store.listAll("")).extracting(ObjectInfo::key, ObjectInfo::sizeBytes)
          .containsExactly(org.assertj.core.api.Assertions.tuple("g1/k", 1L));
      other.delete("g1/k");
      assertThat(store.get("g1/k")).containsExactly(1);
    }
  }

  @Test
  void wrongCredentialsAreRejectedNotUnavailable() {
    S3ObjectStore.Options good = s3.storeOptions(BUCKET, "creds");
    S3ObjectStore.Options bad = new S3ObjectStore.Options(good.endpoint(), good.region(), BUCKET, "creds", good.accessKey(), "wrong-secret",
        true, good.connectTimeout(), good.readTimeout(), good.callTimeout(), 1);
    try (ObjectStore s = new S3ObjectStore(bad)) {
      assertThatThrownBy(s::check).isInstanceOf(ObjectStoreRejectedException.class).hasMessageContaining("403");
      assertThatThrownBy(() -> s.get("k")).isInstanceOf(ObjectStoreRejectedException.class).hasMessageContaining("403");
      assertThatThrownBy(() -> s.list("", null, 10)).isInstanceOf(ObjectStoreRejectedException.class);
      // s3proxy answers 403 before reading the body; HttpURLConnection may then see only a write error
      assertThatThrownBy(() -> s.put("k", new byte[1])).isInstanceOfAny(ObjectStoreRejectedException.class,
          ObjectStoreUnavailableException.class);
    }
    store.check();
  }

  @Test
  void aMissingBucketIsRejectedNotAMissingObject() {
    try (ObjectStore s = new S3ObjectStore(s3.storeOptions("no-such-bucket", ""))) {
      assertThatThrownBy(s::check).isInstanceOf(ObjectStoreRejectedException.class).hasMessageContaining("NoSuchBucket");
      assertThatThrownBy(() -> s.get("k")).isInstanceOf(ObjectStoreRejectedException.class);
      assertThatThrownBy(() -> s.list("", null, 10)).isInstanceOf(ObjectStoreRejectedException.class);
      assertThatThrownBy(() -> s.put("k", new byte[1])).isInstanceOfAny(ObjectStoreRejectedException.class,
          ObjectStoreUnavailableException.class);
    }
  }

  @Test
  void optionsNeverPrintTheSecret() {
    assertThat(s3.storeOptions(BUCKET, "x").toString()).doesNotContain(S3ProxyServer.SECRET_KEY).contains("***");
    assertThat(store.describe()).startsWith("s3://" + BUCKET + "/cluster-a/test-").contains(s3.endpoint());
  }
}
