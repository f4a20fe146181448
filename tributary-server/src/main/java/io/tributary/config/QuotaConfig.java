package io.tributary.config;

import java.nio.file.Path;

/**
 * Limits per caller and quotas per bucket (docs/security.md, "Quotas and limits"). Each field is
 * the {@link Setting} of the same name. Every one is counted per node: the principal limits by
 * the listener that serves the requests, the bucket quotas against this node's replicas of every
 * group (stream count, stored bytes) and by this node's own token bucket (append rate). Immutable.
 *
 * @param principalRequestsMax       requests in flight at once for one principal (one per busy connection), live reads included
 * @param principalSseSubscribersMax SSE subscribers of one principal
 * @param principalLongPollsMax      parked long-polls of one principal
 * @param bucketDefaults             the quota of every bucket the overrides file does not name
 * @param bucketQuotaBurstMillis     the token buckets hold this many milliseconds of their rate (the burst)
 * @param bucketQuotasFile           per-bucket overrides ({@link BucketQuotaFile}); null = none
 */
public record QuotaConfig(int principalRequestsMax, int principalSseSubscribersMax, int principalLongPollsMax,
    Bucket bucketDefaults, long bucketQuotaBurstMillis, Path bucketQuotasFile) {

  /**
   * The quota of one bucket.
   *
   * @param streamsMax             streams of the bucket over all groups
   * @param bytesMax               stored stream bytes of the bucket over all groups (from the retention floor to the tail)
   * @param appendsPerSecond       appends (and creates with a body) the bucket may submit through one node per second
   * @param appendBytesPerSecond   stream bytes the bucket may submit through one node per second
   */
  public record Bucket(long streamsMax, long bytesMax, long appendsPerSecond, long appendBytesPerSecond) {}
}
