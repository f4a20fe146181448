package io.tributary.config;

/**
 * The tiering part of {@link TributaryConfig}: whether this node moves sealed data to the object
 * store, and the thresholds and bounds of doing so. Each field is the {@link Setting} of the same
 * name ({@code enabled} is {@code tiering} resolved: {@code auto} tiers only with S3: a local
 * directory is usually on the node's own disk, where tiering doubles the writes and frees nothing). Immutable.
 */
public record TieringConfig(
    boolean enabled,
    long hotBytesMax,
    long untieredBytesMax,
    long tierBytesMin,
    long tierAgeMillis,
    long tierChunkBytesMax,
    int tierUploadsMax,
    long tierIntervalMillis,
    boolean coldReadsPrefer,
    long coldReadsWaitMillis) {}
