package io.tributary.state;

import java.util.Iterator;

/**
 * The producers a stream keeps for exactly-once appends, bounded by the entry's {@link Limits}. A
 * producer with no accepted append for {@code producerIdleExpiryMillis} is forgotten: lookups
 * treat it as absent at once (its next append is a new producer's and must start at seq 0), and
 * it is dropped when a new producer needs its room. A new producer beyond
 * {@code producersPerStreamMax} (after that drop) is refused. Everything is decided from the
 * entry's time and limits, so every replica forgets and refuses alike; the result of a drop does
 * not depend on the table's iteration order. Apply thread.
 */
final class ProducerTable {
  private ProducerTable() {}

  /** The producer's state, or null when the stream has none for {@code id} or it expired at {@code now}. */
  static StreamEntry.ProducerState lookup(StreamEntry e, String id, long now, Limits l) {
    StreamEntry.ProducerState ps = e.producers.get(id);
    return ps != null && expired(ps, now, l) ? null : ps;
  }

  static boolean expired(StreamEntry.ProducerState ps, long now, Limits l) {
    return l.stamped() && ps.lastMillis != StreamEntry.ProducerState.UNKNOWN_MILLIS
        && now - ps.lastMillis >= l.producerIdleExpiryMillis();
  }

  /**
   * Makes room for one new producer: null when there is room, else the refusal. When the table is
   * full, drops the expired producers first; a producer whose activity time is unknown (last
   * active before times were kept) counts as active now, so it expires one idle period later.
   */
  static Outcome admit(StreamEntry e, long now, Limits l) {
    if (e.producers.size() < l.producersPerStreamMax()) {
      return null;
    }
    long oldestMillis = Long.MAX_VALUE;
    for (Iterator<StreamEntry.ProducerState> it = e.producers.values().iterator(); it.hasNext(); ) {
      StreamEntry.ProducerState ps = it.next();
      if (l.stamped() && ps.lastMillis == StreamEntry.ProducerState.UNKNOWN_MILLIS) {
        ps.lastMillis = now;
      }
      if (expired(ps, now, l)) {
        it.remove();
      } else {
        oldestMillis = Math.min(oldestMillis, ps.lastMillis);
      }
    }
    if (e.producers.size() < l.producersPerStreamMax()) {
      return null;
    }
    long waitSeconds = Math.max(1, (oldestMillis + l.producerIdleExpiryMillis() - now + 999) / 1000);
    return Outcome.of(Outcome.Code.LIMIT_REACHED, "the stream keeps producers-per-stream-max ("
        + l.producersPerStreamMax() + ") producers; a new one has room once one has been idle for "
        + "producer-idle-expiry-ms (the least recently active in about " + waitSeconds + " s)");
  }

  /** Records an accepted append of {@code p} whose data began at {@code start}. */
  static void accepted(StreamEntry e, Command.Producer p, long start, long now, Limits l) {
    StreamEntry.ProducerState ps = e.producers.get(p.id());
    long millis = l.stamped() ? now : StreamEntry.ProducerState.UNKNOWN_MILLIS;
    if (ps == null) {
      e.producers.put(p.id(), new StreamEntry.ProducerState(p.epoch(), p.seq(), start, millis));
    } else {
      ps.epoch = p.epoch();
      ps.lastSeq = p.seq();
      ps.lastStart = start;
      if (l.stamped()) {
        ps.lastMillis = now;
      }
    }
  }
}
