package io.tributary.config;

/**
 * Limits per caller and quotas per bucket (docs/security.md, "Quotas and limits"). Each field is
 * the {@link Setting} of the same name. Every one is counted per node: the principal limits by
 * the listener that serves the requests, the bucket quotas against this node's replicas of every
 * group (stream count, stored bytes) and by this node's own token bucket (append rate). Immutable.
 *
 * @param principalRequestsMax          requests in flight at once for one principal (one per busy connection), live reads included
 * @param principalSseSubscribersMax    SSE subscribers of one principal
 * @param principalLongPollsMax         parked long-polls of one principal
 * @param bucketQuotaStreamsMax         streams of one bucket over all groups
 * @param bucketQuotaBytesMax           stored stream bytes of one bucket over all groups (from the retention floor to the tail)
 * @param bucketQuotaAppendsPerSecond   appends (and creates with a body) one bucket may submit through this node per second
 * @param bucketQuotaAppendBytesPerSecond stream bytes one bucket may submit through this node per second
 * @param bucketQuotaBurstMillis        the token buckets hold this many milliseconds of their rate (the burst)
 */
public record QuotaConfig(int principalRequestsMax, int principalSseSubscribersMax, int principalLongPollsMax,
    long bucketQuotaStreamsMax, long bucketQuotaBytesMax, long bucketQuotaAppendsPerSecond,
    long bucketQuotaAppendBytesPerSecond, long bucketQuotaBurstMillis) {}
