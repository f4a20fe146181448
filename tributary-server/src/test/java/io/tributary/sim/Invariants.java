package io.tributary.sim;

import io.tributary.common.StreamKey;
import io.tributary.state.Command;
import io.tributary.state.CommandCodec;
import io.tributary.state.Outcome;
import io.tributary.state.StreamView;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What must hold after every event of a run, and the facts it is checked against:
 * <ol>
 *   <li><b>Determinism.</b> Every replica that applies entry {@code i} (again, after a restart)
 *       returns the same outcomes; replicas at the same applied index have byte-identical
 *       snapshot metadata (the {@code SnapshotCodec} bytes: streams, tails, producers, record
 *       positions) and every stream's bytes read back from their segments are the same (each
 *       stream incarnation's bytes, as first read on any replica, must be what every replica
 *       reads, and a replica's tail never moves back while it runs).
 *   <li><b>Nothing acknowledged is lost.</b> An append acknowledged to a producer was applied at
 *       a committed index; every replica that applied that index (also after crashing and
 *       recovering from a snapshot) holds its bytes at the offset the acknowledgement named.
 *   <li><b>Producer exactly-once.</b> No (producer, epoch, seq) appears twice in a stream, and a
 *       producer's appends appear in (epoch, seq) order, whatever the retries and duplicates.
 * </ol>
 * One thread.
 */
final class Invariants {
  /** One producer append's identity: the first line of its payload is {@code "<producer> e<epoch> s<seq> "}. */
  record Tag(String stream, String producer, long epoch, long seq) {
    static Tag of(String stream, byte[] line) {
      String[] f = new String(line, StandardCharsets.US_ASCII).split(" ", 4);
      return new Tag(stream, f[0], Long.parseLong(f[1].substring(1)), Long.parseLong(f[2].substring(1)));
    }
  }

  record Ack(StreamKey key, Tag tag, long start, byte[] payload, long writtenAt) {}

  /** Bytes of one stream incarnation as first read on any replica; a prefix of what it will hold. */
  private static final class Canonical {
    byte[] bytes = new byte[256];
    int length;
    int parsed;
    final boolean produced;

    Canonical(boolean produced) {
      this.produced = produced;
    }

    void add(byte[] more) {
      if (length + more.length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more.length));
      }
      System.arraycopy(more, 0, bytes, length, more.length);
      length += more.length;
    }
  }

  private final Map<Long, byte[]> outcomesAt = new HashMap<>();
  private final Map<Long, byte[]> metadataDigestAt = new HashMap<>();
  private final Map<Long, Integer> metadataFirstReplica = new HashMap<>();
  private final Map<Tag, Long> writtenAt = new HashMap<>();
  private final Map<Tag, Ack> acks = new HashMap<>();
  private final TreeMap<Long, List<Ack>> acksByIndex = new TreeMap<>();
  private final Map<Long, Canonical> canonical = new HashMap<>();
  private final Set<Tag> seen = new HashSet<>();
  private final Map<String, Tag> lastOfProducer = new HashMap<>();
  /** Per replica: how far each stream's bytes were compared, and the applied index last checked. */
  private final List<Map<Long, Long>> compared = new ArrayList<>();
  private final long[] checkedAt = new long[ReplicatedLog.REPLICAS];
  private final MessageDigest sha;
  long metadataComparisons;

  Invariants() {
    for (int r = 0; r < ReplicatedLog.REPLICAS; r++) {
      compared.add(new HashMap<>());
    }
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Replica {@code r} applied entry {@code index} with these encoded outcomes. */
  void applied(int r, long index, ReplicatedLog.Entry entry, byte[] outcomes) {
    byte[] first = outcomesAt.putIfAbsent(index, outcomes);
    if (first != null) {
      check(Arrays.equals(first, outcomes), "replica " + r + " applied entry " + index + " with outcomes "
          + decode(outcomes) + ", another replica (or this one before a restart) got " + decode(first));
      return;
    }
    List<Outcome> decoded = CommandCodec.decodeOutcomes(ByteBuffer.wrap(outcomes));
    check(decoded.size() == entry.commands().size(), "entry " + index + ": " + decoded.size() + " outcomes for "
        + entry.commands().size() + " commands");
    for (int i = 0; i < decoded.size(); i++) {
      if (entry.commands().get(i) instanceof Command.Append a && a.producer() != null
          && decoded.get(i).code() == Outcome.Code.APPENDED) {
        Tag t = Tag.of(a.key().stream(), a.data());
        check(writtenAt.putIfAbsent(t, index) == null, t + " was APPENDED twice (entries " + writtenAt.get(t)
            + " and " + index + ")");
      }
    }
  }

  /** The producer of {@code ack} was told its append is in; checked now on every replica already past it. */
  void acknowledged(Ack ack, ReplicatedLog log, Replica[] replicas) {
    check(ack.writtenAt() > 0 && ack.writtenAt() <= log.commitIndex(), "acknowledged " + ack.tag()
        + " was written at " + ack.writtenAt() + ", commit index " + log.commitIndex());
    check(acks.putIfAbsent(ack.tag(), ack) == null, ack.tag() + " acknowledged twice");
    acksByIndex.computeIfAbsent(ack.writtenAt(), i -> new ArrayList<>()).add(ack);
    for (Replica r : replicas) {
      if (r.up() && r.applied >= ack.writtenAt() && checkedAt[r.id] >= ack.writtenAt()) {
        checkAck(r, ack);
      }
    }
  }

  Long writtenAt(Tag tag) {
    return writtenAt.get(tag);
  }

  /** A replica recovered from its snapshot: its bytes are compared again from the start, every ack re-checked. */
  void restarted(Replica r) {
    compared.get(r.id).clear();
    checkedAt[r.id] = 0;
  }

  /** Checks every replica whose applied index moved since its last check. */
  void afterEvent(Replica[] replicas) {
    for (Replica r : replicas) {
      if (r.up() && r.applied != checkedAt[r.id]) {
        checkReplica(r);
      }
    }
  }

  private void checkReplica(Replica r) {
    check(r.applied > checkedAt[r.id], "replica " + r.id + " applied index moved back from " + checkedAt[r.id]
        + " to " + r.applied + " while running");
    byte[] digest = sha.digest(r.state.metadata());
    byte[] first = metadataDigestAt.putIfAbsent(r.applied, digest);
    metadataFirstReplica.putIfAbsent(r.applied, r.id);
    metadataComparisons++;
    check(first == null || Arrays.equals(first, digest), "replica " + r.id + " at applied index " + r.applied
        + " has snapshot metadata different from replica " + metadataFirstReplica.get(r.applied) + "'s at that index");
    checkBucketCounts(r);
    Map<Long, Long> done = compared.get(r.id);
    for (StreamKey key : r.state.keys()) {
      StreamView v = r.state.view(key);
      long from = done.getOrDefault(v.streamId(), 0L);
      check(v.tail() >= from, "replica " + r.id + ": " + key + " tail moved back from " + from + " to " + v.tail());
      if (v.tail() > from) {
        compareBytes(r, v, from);
        done.put(v.streamId(), v.tail());
      }
    }
    for (List<Ack> list : acksByIndex.subMap(checkedAt[r.id], false, r.applied, true).values()) {
      for (Ack a : list) {
        checkAck(r, a);
      }
    }
    checkedAt[r.id] = r.applied;
  }

  /**
   * The per-bucket counters the quotas read (kept by deltas as entries apply, restored from
   * snapshots) equal a scan of the replica's streams: the stream count, and the stored bytes of
   * the live ones (retention floor or fork point to tail).
   */
  private void checkBucketCounts(Replica r) {
    Map<String, long[]> scanned = new TreeMap<>();
    for (StreamKey key : r.state.keys()) {
      StreamView v = r.state.view(key);
      long[] c = scanned.computeIfAbsent(key.bucket(), b -> new long[2]);
      c[0]++;
      c[1] += v.softDeleted() ? 0 : Math.max(0, v.tail() - Math.max(v.ownStart(), v.retainedFrom()));
    }
    for (Map.Entry<String, long[]> e : scanned.entrySet()) {
      check(r.state.bucketStreamCount(e.getKey()) == e.getValue()[0], "replica " + r.id + " at " + r.applied
          + ": bucket " + e.getKey() + " counts " + r.state.bucketStreamCount(e.getKey()) + " streams, holds "
          + e.getValue()[0]);
      check(r.state.bucketStoredBytes(e.getKey()) == e.getValue()[1], "replica " + r.id + " at " + r.applied
          + ": bucket " + e.getKey() + " counts " + r.state.bucketStoredBytes(e.getKey()) + " stored bytes, holds "
          + e.getValue()[1]);
    }
  }

  private void compareBytes(Replica r, StreamView v, long from) {
    byte[] read = r.state.read(v, from, v.tail());
    Canonical c = canonical.computeIfAbsent(v.streamId(), id -> new Canonical(GroupSimulation.isProduced(v.key())));
    int common = (int) Math.min(c.length - from, read.length);
    if (common > 0) {
      check(Arrays.equals(c.bytes, (int) from, (int) from + common, read, 0, common), "replica " + r.id + ": "
          + v.key() + " (stream " + v.streamId() + ") bytes [" + from + ", " + (from + common)
          + ") differ from another replica's");
    }
    if (common < read.length) {
      c.add(Arrays.copyOfRange(read, Math.max(0, common), read.length));
      parseProduced(v.key(), c);
    }
  }

  /** Exactly-once and order over the new complete lines of a producer stream. */
  private void parseProduced(StreamKey key, Canonical c) {
    if (!c.produced) {
      return;
    }
    int lineStart = c.parsed;
    for (int i = c.parsed; i < c.length; i++) {
      if (c.bytes[i] == '\n') {
        Tag t = Tag.of(key.stream(), Arrays.copyOfRange(c.bytes, lineStart, i));
        check(seen.add(t), key + ": " + t + " appears twice (offset " + lineStart + ")");
        String who = key.stream() + "/" + t.producer();
        Tag last = lastOfProducer.put(who, t);
        check(last == null || t.epoch() > last.epoch() || (t.epoch() == last.epoch() && t.seq() == last.seq() + 1),
            key + ": " + t + " follows " + last);
        lineStart = i + 1;
      }
    }
    c.parsed = lineStart;
  }

  private void checkAck(Replica r, Ack a) {
    StreamView v = r.state.view(a.key());
    long end = a.start() + a.payload().length;
    check(v != null && v.tail() >= end, "replica " + r.id + " at applied index " + r.applied + " lost acknowledged "
        + a.tag() + " (written at " + a.writtenAt() + ", [" + a.start() + ", " + end + "); tail "
        + (v == null ? "none" : v.tail()) + ")");
    check(Arrays.equals(r.state.read(v, a.start(), end), a.payload()), "replica " + r.id + " holds other bytes at ["
        + a.start() + ", " + end + ") than acknowledged " + a.tag());
  }

  /** End of a run: every producer append found in a stream was acknowledged (producers give up on none). */
  void everyWrittenAppendAcknowledged() {
    for (Tag t : seen) {
      check(acks.containsKey(t), t + " is in the stream but was never acknowledged");
    }
    check(seen.containsAll(acks.keySet()), "acknowledged appends missing from the streams");
  }

  int acknowledgedCount() {
    return acks.size();
  }

  private static String decode(byte[] outcomes) {
    return CommandCodec.decodeOutcomes(ByteBuffer.wrap(outcomes)).stream().map(o -> o.code().name()).toList()
        .toString();
  }

  void check(boolean ok, String message) {
    if (!ok) {
      throw new InvariantViolation(message);
    }
  }

  /** A broken invariant; the run adds the seed and the trace. */
  static final class InvariantViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvariantViolation(String message) {
      super(message);
    }
  }
}
