package io.tributary.config;

import java.nio.file.Path;

/**
 * The cold-tier part of {@link TributaryConfig}: which object store (and how to reach it) and the
 * sizing of the cold-read block cache. Each field is one {@link Setting} of the same name
 * ({@code objectStoreDir} is {@code object-store-dir}, already resolved against the data dir).
 * Validated by {@link TributaryConfig#fromValues}; immutable. {@link #toString} hides the secret key.
 */
public record ColdTierConfig(
    String objectStore,
    Path objectStoreDir,
    String s3Endpoint,
    String s3Region,
    String s3Bucket,
    String s3Prefix,
    String s3AccessKey,
    String s3SecretKey,
    boolean s3PathStyle,
    long s3ConnectTimeoutMillis,
    long s3ReadTimeoutMillis,
    long s3CallTimeoutMillis,
    int s3AttemptsMax,
    int coldBlockBytes,
    long coldCacheBytesMax,
    int coldPrefetchBlocks) {

  public static final String STORE_DIR = "dir";
  public static final String STORE_S3 = "s3";

  public boolean usesS3() {
    return objectStore.equals(STORE_S3);
  }

  @Override
  public String toString() {
    return "ColdTierConfig[objectStore=" + objectStore + ", objectStoreDir=" + objectStoreDir + ", s3Endpoint=" + s3Endpoint
        + ", s3Region=" + s3Region + ", s3Bucket=" + s3Bucket + ", s3Prefix=" + s3Prefix + ", s3AccessKey=" + s3AccessKey
        + ", s3SecretKey=" + (s3SecretKey.isEmpty() ? "" : "***") + ", s3PathStyle=" + s3PathStyle + ", s3ConnectTimeoutMillis="
        + s3ConnectTimeoutMillis + ", s3ReadTimeoutMillis=" + s3ReadTimeoutMillis + ", s3CallTimeoutMillis=" + s3CallTimeoutMillis
        + ", s3AttemptsMax=" + s3AttemptsMax + ", coldBlockBytes=" + coldBlockBytes + ", coldCacheBytesMax=" + coldCacheBytesMax
        + ", coldPrefetchBlocks=" + coldPrefetchBlocks + "]";
  }
}
