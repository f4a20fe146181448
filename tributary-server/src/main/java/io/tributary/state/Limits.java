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
 */
public record Limits(int producersPerStreamMax, long producerIdleExpiryMillis) {

  /** Entries written before limits existed: nothing bounded, no activity time kept. */
  public static final Limits UNSTAMPED = new Limits(Integer.MAX_VALUE, Long.MAX_VALUE);

  /** The limits as an entry lists them, in this order; an entry may list a prefix (the rest unbounded). */
  long[] toArray() {
    return new long[] {producersPerStreamMax, producerIdleExpiryMillis};
  }

  static Limits fromArray(long[] v) {
    return new Limits(v.length > 0 ? (int) v[0] : Integer.MAX_VALUE, v.length > 1 ? v[1] : Long.MAX_VALUE);
  }

  /** False for {@link #UNSTAMPED} (no idle expiry): such entries record no producer activity time. */
  boolean stamped() {
    return producerIdleExpiryMillis != Long.MAX_VALUE;
  }
}
