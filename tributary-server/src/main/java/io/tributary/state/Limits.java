package io.tributary.state;

/**
 * Bounds of client-grown state that apply enforces. They travel in every Raft entry, stamped
 * with the entry's time by the node that encodes it (see {@link CommandCodec}), so every replica
 * decides with the same values, whatever its own configuration, and a log replayed after the
 * settings changed (or after an upgrade) is applied exactly as it first was. An entry written
 * before limits existed decodes as {@link #UNSTAMPED}: nothing bounded, no producer activity time
 * recorded (so a replica that replays such entries and one that loads a snapshot taken after
 * them hold the same producer times). Immutable.
 *
 * @param producersPerStreamMax producer states one stream keeps; a new producer beyond it is refused
 *     ({@link Outcome.Code#LIMIT_REACHED}) once the expired ones are dropped
 * @param producerIdleExpiryMillis a producer whose last accepted append is older than this is
 *     forgotten: its next append is treated as a new producer's
 * @param bucketStreamsMax streams of one bucket one group holds (live, or deleted while forks read
 *     them); a create beyond it is refused
 * @param bucketsMax buckets the registry holds (besides {@code default}); a new one beyond it is refused
 */
public record Limits(int producersPerStreamMax, long producerIdleExpiryMillis, int bucketStreamsMax, int bucketsMax) {

  /** Entries written before limits existed: nothing bounded, no activity time kept. */
  public static final Limits UNSTAMPED = new Limits(Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE,
      Integer.MAX_VALUE);

  /** Only the producer bounds (tests); the others unbounded. */
  public Limits(int producersPerStreamMax, long producerIdleExpiryMillis) {
    this(producersPerStreamMax, producerIdleExpiryMillis, Integer.MAX_VALUE, Integer.MAX_VALUE);
  }

  /** The limits as an entry lists them, in this order; an entry may list a prefix (the rest unbounded). */
  long[] toArray() {
    return new long[] {producersPerStreamMax, producerIdleExpiryMillis, bucketStreamsMax, bucketsMax};
  }

  static Limits fromArray(long[] v) {
    return new Limits(v.length > 0 ? (int) v[0] : Integer.MAX_VALUE, v.length > 1 ? v[1] : Long.MAX_VALUE,
        v.length > 2 ? (int) v[2] : Integer.MAX_VALUE, v.length > 3 ? (int) v[3] : Integer.MAX_VALUE);
  }

  /** False for {@link #UNSTAMPED} (no idle expiry): such entries record no producer activity time. */
  boolean stamped() {
    return producerIdleExpiryMillis != Long.MAX_VALUE;
  }
}
