package io.tributary.state;

import io.tributary.common.StreamKey;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a batch of commands into one Raft entry, and a list of outcomes into one Raft reply.
 * Format version byte first; see docs/on-disk-format.md ("Raft entries").
 */
public final class CommandCodec {
  static final int VERSION = 1;
  /** Batch version 2: version 1 plus the {@link Limits} after {@code nowMillis}. Version 1 batches are still read. */
  private static final int BATCH_VERSION_LIMITS = 2;
  private static final int CREATE = 1;
  private static final int APPEND = 2;
  private static final int DELETE = 3;
  private static final int TOUCH = 4;
  private static final int PIN = 5;
  private static final int UNPIN = 6;
  private static final int CREATE_BUCKET = 7;
  private static final int DELETE_BUCKET = 8;
  private static final int PUBLISH_SNAPSHOT = 9;
  private static final int SET_RETENTION = 10;
  private static final int SET_ATTRS = 11;
  private static final int APPEND_BATCH = 12;
  private static final int TRANSACTION = 13;
  private static final int COLD_PUBLISHED = 14;
  private static final int COLD_COLLECTED = 15;
  // 9 and 14 with the publish deadline; entries of 9 and 14 written before it still decode (no deadline)
  private static final int PUBLISH_SNAPSHOT_BY = 16;
  private static final int COLD_PUBLISHED_BY = 17;
  /** {@link #COLD_PUBLISHED_BY} of a chunk with a record-start table (same fields). */
  private static final int COLD_PUBLISHED_WITH_STARTS = 18;
  private static final int NOP = 19;
  /** {@code streamId i64} then the guarded command, encoded as in a batch (type byte, key, fields). */
  private static final int IF_INCARNATION = 20;
  private static final int ANNOUNCE_FEATURES = 21;

  private CommandCodec() {}

  /**
   * A decoded entry: the clock and the limits of the node that encoded it, and the commands in
   * order ({@link Limits#UNSTAMPED} for entries written before limits existed).
   */
  public record Batch(long nowMillis, Limits limits, List<Command> commands) {}

  /** An entry without bounds (tests that exercise no limit). */
  public static byte[] encode(long nowMillis, List<Command> commands, int sizeHint) {
    return encode(nowMillis, Limits.UNSTAMPED, commands, sizeHint);
  }

  public static byte[] encode(long nowMillis, Limits limits, List<Command> commands, int sizeHint) {
    return encode(nowMillis, FeatureLevel.CURRENT, limits, commands, sizeHint);
  }

  /**
   * An entry as a cluster at {@code featureLevel} may write it: below
   * {@link FeatureLevel#LIMITS_AND_INCARNATION} in batch version 1 (no limits: the replicas that
   * cannot read them must not be sent them) and without {@code Stream-Incarnation} guards (the
   * submitter refuses those first; one here is a programming error).
   */
  public static byte[] encode(long nowMillis, int featureLevel, Limits limits, List<Command> commands, int sizeHint) {
    long[] bounds = limits.toArray();
    Wire.Out o = new Wire.Out(sizeHint + 64 + 8 * bounds.length);
    if (featureLevel >= FeatureLevel.LIMITS_AND_INCARNATION) {
      o.u8(BATCH_VERSION_LIMITS).i64(nowMillis).i32(bounds.length);
      for (long b : bounds) {
        o.i64(b);
      }
    } else {
      for (Command c : commands) {
        if (c instanceof Command.IfIncarnation) {
          throw new IllegalArgumentException("Stream-Incarnation needs feature level "
              + FeatureLevel.LIMITS_AND_INCARNATION + "; the cluster is at " + featureLevel);
        }
      }
      o.u8(VERSION).i64(nowMillis);
    }
    o.i32(commands.size());
    for (Command c : commands) {
      encode(o, c);
    }
    return o.toByteArray();
  }

  private static void encode(Wire.Out o, Command c) {
    switch (c) {
      case Command.Create cr -> {
        o.u8(CREATE);
        key(o, cr.key());
        o.str(cr.contentType()).i64(cr.ttlSeconds()).str(cr.expiresAt()).i64(cr.expiresAtMillis()).bool(cr.closed())
            .bytes(cr.data()).i32(cr.messages());
        Command.ForkSpec f = cr.fork();
        o.bool(f != null);
        if (f != null) {
          key(o, f.sourceKey());
          o.i32(f.sourceGroup()).i64(f.sourceStreamId()).i64(f.forkPoint()).i64(f.requestedOffset()).i64(f.subOffset())
              .str(f.pinId());
        }
      }
      case Command.Append a -> {
        o.u8(APPEND);
        appendBody(o, a);
      }
      case Command.PublishSnapshot p -> {
        o.u8(PUBLISH_SNAPSHOT_BY);
        key(o, p.key());
        o.i64(p.streamId()).i64(p.offset()).str(p.contentType()).bytes(p.data()).str(p.digest()).str(p.match())
            .str(p.objectKey()).i64(p.publishByMillis());
      }
      case Command.SetRetention r -> {
        o.u8(SET_RETENTION);
        key(o, r.key());
        o.i64(r.streamId()).i64(r.offset());
      }
      case Command.SetAttrs a -> {
        o.u8(SET_ATTRS);
        key(o, a.key());
        o.str(a.json());
      }
      case Command.AppendBatch b -> {
        o.u8(APPEND_BATCH);
        key(o, b.key());
        o.str(b.contentType()).bytes(b.data()).i32(b.frameEnds().length);
        for (int end : b.frameEnds()) {
          o.i32(end);
        }
        o.i32(b.messages());
        producer(o, b.producer());
      }
      case Command.Transaction t -> {
        o.u8(TRANSACTION);
        key(o, t.key());
        o.i32(t.appends().size());
        for (Command.Append a : t.appends()) {
          appendBody(o, a);
        }
      }
      case Command.ColdChunksPublished p -> {
        o.u8(p.recordStarts() ? COLD_PUBLISHED_WITH_STARTS : COLD_PUBLISHED_BY);
        key(o, p.key());
        o.i64(p.streamId()).i64(p.start()).i64(p.end()).i64(p.publishByMillis());
      }
      case Command.Nop n -> {
        o.u8(NOP);
        key(o, n.key());
      }
      case Command.ColdGarbageCollected g -> {
        o.u8(COLD_COLLECTED);
        key(o, g.key());
        o.i32(g.objectKeys().size());
        for (String k : g.objectKeys()) {
          o.str(k);
        }
      }
      case Command.Delete d -> {
        o.u8(DELETE);
        key(o, d.key());
      }
      case Command.Touch t -> {
        o.u8(TOUCH);
        key(o, t.key());
        o.i64(t.streamId());
      }
      case Command.PinFork p -> {
        o.u8(PIN);
        key(o, p.key());
        o.i64(p.forkPoint()).i64(p.expectStreamId()).str(p.pinId());
        key(o, p.forkKey());
      }
      case Command.UnpinFork u -> {
        o.u8(UNPIN);
        key(o, u.key());
        o.i64(u.streamId()).str(u.pinId());
      }
      case Command.CreateBucket b -> {
        o.u8(CREATE_BUCKET);
        key(o, b.key());
      }
      case Command.DeleteBucket b -> {
        o.u8(DELETE_BUCKET);
        key(o, b.key());
      }
      case Command.IfIncarnation g -> {
        o.u8(IF_INCARNATION);
        key(o, g.key());
        o.i64(g.streamId());
        encode(o, g.command());
      }
      case Command.AnnounceFeatures a -> {
        o.u8(ANNOUNCE_FEATURES);
        key(o, a.key());
        o.str(a.nodeId()).i32(a.level());
      }
    }
  }

  private static void appendBody(Wire.Out o, Command.Append a) {
    key(o, a.key());
    o.str(a.contentType()).bytes(a.data()).i32(a.messages()).bool(a.close()).str(a.streamSeq());
    producer(o, a.producer());
    o.i64(a.expectedTail());
  }

  private static Command.Append appendBody(Wire.In in, StreamKey key) {
    String ct = in.str();
    byte[] data = in.bytes();
    int msgs = in.i32();
    boolean close = in.bool();
    String seq = in.str();
    Command.Producer p = producer(in);
    return new Command.Append(key, ct, data, msgs, close, seq, p, in.i64());
  }

  private static void producer(Wire.Out o, Command.Producer p) {
    o.bool(p != null);
    if (p != null) {
      o.str(p.id()).i64(p.epoch()).i64(p.seq());
    }
  }

  private static Command.Producer producer(Wire.In in) {
    return in.bool() ? new Command.Producer(in.str(), in.i64(), in.i64()) : null;
  }

  public static Batch decode(ByteBuffer buf) {
    Wire.In in = new Wire.In(buf);
    int v = in.u8();
    if (v != VERSION && v != BATCH_VERSION_LIMITS) {
      throw new UnknownCommandException("command batch version " + v + " (this build reads " + VERSION + " and "
          + BATCH_VERSION_LIMITS + ")");
    }
    long now = in.i64();
    Limits limits = Limits.UNSTAMPED;
    if (v == BATCH_VERSION_LIMITS) {
      long[] bounds = new long[in.i32()];
      for (int i = 0; i < bounds.length; i++) {
        bounds[i] = in.i64();
      }
      limits = Limits.fromArray(bounds);
    }
    int n = in.i32();
    List<Command> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(decodeCommand(in));
    }
    return new Batch(now, limits, out);
  }

  private static Command decodeCommand(Wire.In in) {
    int type = in.u8();
    StreamKey key = key(in);
    return switch (type) {
      case CREATE -> {
        String ct = in.str();
        long ttl = in.i64();
        String exp = in.str();
        long expMs = in.i64();
        boolean closed = in.bool();
        byte[] data = in.bytes();
        int msgs = in.i32();
        Command.ForkSpec fork = null;
        if (in.bool()) {
          fork = new Command.ForkSpec(key(in), in.i32(), in.i64(), in.i64(), in.i64(), in.i64(), in.str());
        }
        yield new Command.Create(key, ct, ttl, exp, expMs, closed, data, msgs, fork);
      }
      case APPEND -> appendBody(in, key);
      case PUBLISH_SNAPSHOT, PUBLISH_SNAPSHOT_BY -> new Command.PublishSnapshot(key, in.i64(), in.i64(), in.str(), in.bytes(),
          in.str(), in.str(), in.str(), type == PUBLISH_SNAPSHOT ? Long.MAX_VALUE : in.i64());
      case SET_RETENTION -> new Command.SetRetention(key, in.i64(), in.i64());
      case SET_ATTRS -> new Command.SetAttrs(key, in.str());
      case APPEND_BATCH -> {
        String ct = in.str();
        byte[] data = in.bytes();
        int[] ends = new int[in.i32()];
        for (int j = 0; j < ends.length; j++) {
          ends[j] = in.i32();
        }
        yield new Command.AppendBatch(key, ct, data, ends, in.i32(), producer(in));
      }
      case TRANSACTION -> {
        int count = in.i32();
        List<Command.Append> appends = new ArrayList<>(count);
        for (int j = 0; j < count; j++) {
          appends.add(appendBody(in, key(in)));
        }
        yield new Command.Transaction(key, appends);
      }
      case COLD_PUBLISHED, COLD_PUBLISHED_BY, COLD_PUBLISHED_WITH_STARTS -> new Command.ColdChunksPublished(key, in.i64(),
          in.i64(), in.i64(), type == COLD_PUBLISHED ? Long.MAX_VALUE : in.i64(), type == COLD_PUBLISHED_WITH_STARTS);
      case COLD_COLLECTED -> {
        int count = in.i32();
        List<String> keys = new ArrayList<>(count);
        for (int j = 0; j < count; j++) {
          keys.add(in.str());
        }
        yield new Command.ColdGarbageCollected(key, keys);
      }
      case NOP -> new Command.Nop(key);
      case DELETE -> new Command.Delete(key);
      case TOUCH -> new Command.Touch(key, in.i64());
      case PIN -> new Command.PinFork(key, in.i64(), in.i64(), in.str(), key(in));
      case UNPIN -> new Command.UnpinFork(key, in.i64(), in.str());
      case CREATE_BUCKET -> new Command.CreateBucket(key);
      case DELETE_BUCKET -> new Command.DeleteBucket(key);
      case IF_INCARNATION -> new Command.IfIncarnation(key, in.i64(), decodeCommand(in));
      case ANNOUNCE_FEATURES -> new Command.AnnounceFeatures(key, in.str(), in.i32());
      default -> throw new UnknownCommandException("command type " + type + " (this build knows 1-" + ANNOUNCE_FEATURES + ")");
    };
  }

  public static byte[] encodeOutcomes(List<Outcome> outcomes) {
    Wire.Out o = new Wire.Out(64 * outcomes.size());
    o.u8(VERSION).i32(outcomes.size());
    for (Outcome r : outcomes) {
      o.u8(r.code().wire()).i64(r.tail()).bool(r.closed()).i64(r.producerEpoch()).i64(r.producerSeq())
          .i64(r.expectedSeq()).i64(r.receivedSeq()).i64(r.streamId()).str(r.contentType()).i64(r.ttlSeconds())
          .str(r.expiresAt()).i64(r.expiresAtMillis());
      o.bool(r.releaseKey() != null);
      if (r.releaseKey() != null) {
        key(o, r.releaseKey());
      }
      o.i64(r.releaseStreamId()).str(r.releasePinId()).str(r.message());
      o.i64(r.start()).str(r.digest()).i64(r.retainedFrom());
      long[] ends = r.ends() == null ? new long[0] : r.ends();
      o.i32(ends.length);
      for (long end : ends) {
        o.i64(end);
      }
    }
    return o.toByteArray();
  }

  public static List<Outcome> decodeOutcomes(ByteBuffer buf) {
    Wire.In in = new Wire.In(buf);
    int v = in.u8();
    if (v != VERSION) {
      throw new IllegalStateException("unknown outcome version " + v);
    }
    int n = in.i32();
    List<Outcome> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Outcome.Code code = Outcome.Code.fromWire(in.u8());
      long tail = in.i64();
      boolean closed = in.bool();
      long pe = in.i64();
      long ps = in.i64();
      long es = in.i64();
      long rs = in.i64();
      long sid = in.i64();
      String ct = in.str();
      long ttl = in.i64();
      String exp = in.str();
      long expMs = in.i64();
      StreamKey rk = in.bool() ? key(in) : null;
      long rsid = in.i64();
      String pin = in.str();
      String msg = in.str();
      long start = in.i64();
      String digest = in.str();
      long floor = in.i64();
      long[] ends = new long[in.i32()];
      for (int j = 0; j < ends.length; j++) {
        ends[j] = in.i64();
      }
      out.add(new Outcome(code, tail, closed, pe, ps, es, rs, sid, ct, ttl, exp, expMs, rk, rsid, pin, msg, start,
          digest, floor, ends));
    }
    return out;
  }

  static void key(Wire.Out o, StreamKey k) {
    o.str(k.bucket()).str(k.stream());
  }

  static StreamKey key(Wire.In in) {
    return new StreamKey(in.str(), in.str());
  }
}
