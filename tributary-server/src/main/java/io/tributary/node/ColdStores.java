package io.tributary.node;

import io.tributary.cold.BlockCache;
import io.tributary.cold.LocalDirectoryObjectStore;
import io.tributary.cold.ObjectStore;
import io.tributary.cold.S3ObjectStore;
import io.tributary.config.ColdTierConfig;
import java.time.Duration;

/**
 * Builds the cold tier's parts from the typed config: the {@link ObjectStore} named by
 * {@code --object-store} and the {@link BlockCache} sizing. Construction does no I/O (the
 * directory store creates its root on the first put; the S3 client connects on the first call).
 * Stateless; called on the node's start thread.
 */
public final class ColdStores {
  /** Prefetch runs on this many threads per node; read-ahead is a hint, so two suffice. */
  private static final int PREFETCH_THREADS = 2;
  private static final int PREFETCH_QUEUE_MAX = 64;

  private ColdStores() {}

  public static ObjectStore open(ColdTierConfig c) {
    if (!c.usesS3()) {
      return new LocalDirectoryObjectStore(c.objectStoreDir());
    }
    return new S3ObjectStore(new S3ObjectStore.Options(c.s3Endpoint(), c.s3Region(), c.s3Bucket(), c.s3Prefix(), c.s3AccessKey(),
        c.s3SecretKey(), c.s3PathStyle(), Duration.ofMillis(c.s3ConnectTimeoutMillis()), Duration.ofMillis(c.s3ReadTimeoutMillis()),
        Duration.ofMillis(c.s3CallTimeoutMillis()), c.s3AttemptsMax()));
  }

  public static BlockCache.Options cacheOptions(ColdTierConfig c) {
    return new BlockCache.Options(c.coldBlockBytes(), c.coldCacheBytesMax(), c.coldPrefetchBlocks(), PREFETCH_THREADS,
        PREFETCH_QUEUE_MAX);
  }
}
