package io.tributary.config;

/**
 * The tiering part of {@link TributaryConfig}: whether this node moves sealed data to the object
 * store, and the thresholds and bounds of doing so. Each field is the {@link Setting} of the same
 * name ({@code enabled} is {@code tiering} resolved: {@code auto} tiers on a single node or with
 * S3, never on a cluster whose replicas cannot all read the store). Immutable.
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
    boolean coldReadsPrefer) {}
