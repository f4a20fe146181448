package io.tributary.config;

/**
 * The tiering part of {@link TributaryConfig}: whether this node moves sealed data to the object
 * store, the thresholds and bounds of doing so, and the orphan sweep. Each field is the
 * {@link Setting} of the same name ({@code enabled} is {@code tiering} resolved: {@code auto} tiers
 * only with S3: a local directory is usually on the node's own disk, where tiering doubles the
 * writes and frees nothing). Immutable.
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
    long orphanGraceMillis,
    long orphanSweepIntervalMillis,
    int orphanSweepKeysMax,
    boolean coldReadsPrefer,
    long coldReadsWaitMillis) {

  /**
   * How long after its upload began a publish may still commit: half the grace, so an object
   * older than the grace can no longer become referenced (the other half absorbs clock skew
   * between nodes and the store, and S3's whole-second timestamps).
   */
  public long publishWindowMillis() {
    return orphanGraceMillis / 2;
  }
}
