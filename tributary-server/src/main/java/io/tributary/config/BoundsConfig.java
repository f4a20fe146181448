package io.tributary.config;

/**
 * The part of {@link TributaryConfig} that bounds state grown by client input: identifiers kept per
 * stream, and the sweep that removes expired streams. Each field is the {@link Setting} of the same name. Immutable.
 */
public record BoundsConfig(
    int producerIdBytesMax,
    int streamSeqBytesMax,
    int producersPerStreamMax,
    long producerIdleExpiryMillis,
    int bucketStreamsMax,
    int bucketsMax,
    int forkDepthMax,
    long expirySweepIntervalMillis,
    int expirySweepProbesMax) {}
