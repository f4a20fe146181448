package io.tributary.state;

/**
 * What a build can apply, as one number, and the rule that keeps a rolling upgrade safe: a node
 * writes an entry in a newer format, or a newer command type, only once every voter announced
 * (through the log, {@link Command.AnnounceFeatures}) that it can apply it. A replica that meets
 * something it cannot apply anyway stops (fail-stop, {@link ReplicaHalt}); the gate is what keeps
 * that from happening in a correctly run upgrade.
 *
 * <ul>
 *   <li>{@link #BASE} (1): batch version 1, command types 1-19.</li>
 *   <li>{@link #LIMITS_AND_INCARNATION} (2): batch version 2 (entries carry the leader's
 *       {@link Limits}), type 20 ({@code Stream-Incarnation}) and type 21 (the announcement).</li>
 *   <li>{@link #SEGMENT_PADDING} (3): data segments may hold padding records over holes (compaction,
 *       docs/on-disk-format.md); no new entry format. A node compacts only at this level, because a
 *       segment it compacted reaches other replicas as snapshot installs and repair copies.</li>
 * </ul>
 *
 * Type 21 itself is written at any level: it is how a cluster learns its level. A build from
 * before this gate cannot read it, so an upgrade from such a build stops the cluster once.
 */
public final class FeatureLevel {
  public static final int BASE = 1;
  public static final int LIMITS_AND_INCARNATION = 2;
  public static final int SEGMENT_PADDING = 3;
  /** The level this build can apply. */
  public static final int CURRENT = SEGMENT_PADDING;
  static final String TEST_PROPERTY = "tributary.test.feature-level";
  /** Read once: it is asked for every entry encoded and applied. */
  private static final int SUPPORTED = Math.max(BASE, Math.min(CURRENT, Integer.getInteger(TEST_PROPERTY, CURRENT)));

  private FeatureLevel() {}

  /**
   * The level this node announces: {@link #CURRENT}, or lower when a test runs it as an older
   * build ({@code -Dtributary.test.feature-level=N}, not reachable from the client API).
   */
  public static int supported() {
    return SUPPORTED;
  }
}
