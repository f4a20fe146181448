package io.tributary.durability;

import io.tributary.testing.StreamClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One stream, its single idempotent producer, and the ledger of every append the server
 * acknowledged. Payloads are a pure function of (seed, stream, seq), distinct and self-describing:
 * a binary body starts with {@code <stream>#<seq>#<length>|} followed by random bytes of every
 * value; a JSON body is one object or an array of up to three objects naming stream, seq and part.
 * Sizes are mostly small, a few percent above 4 KiB, some above 64 KiB, and two fixed appends (one
 * binary, one JSON) above 1 MiB so they cross the storage's record-split boundary.
 *
 * <p>Threads: owned by one {@link AppendWriter}; the test thread reads it only while the writers
 * are held off by the {@link ServerGate} or have stopped (the lock orders the accesses).
 */
final class ProducerStream {
  /** The content types under test. */
  enum Kind {
    BINARY("application/octet-stream"),
    JSON("application/json");

    final String contentType;

    Kind(String contentType) {
      this.contentType = contentType;
    }
  }

  /** An acknowledged append; {@code endOffset} is null when the ack was a 204 duplicate of a retry. */
  record Ack(long seq, byte[] body, String endOffset, int attempts) {
    boolean viaDuplicate() {
      return endOffset == null;
    }
  }

  /** The append in flight: sent zero or more times, outcome not known yet. */
  static final class Pending {
    final long seq;
    final byte[] body;
    int attempts;
    /**
     * What the post-crash check saw: TRUE = the stream holds this append already (its retry must
     * be a 204 duplicate), FALSE = it does not (the retry must be appended, 200), null = unknown.
     */
    Boolean appliedBeforeRetry;

    Pending(long seq, byte[] body) {
      this.seq = seq;
      this.body = body;
    }
  }

  static final int BIG_BINARY_SEQ = 3;
  static final int BIG_JSON_SEQ = 4;
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;
  private static final char[] ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  final int index;
  final String name;
  final Kind kind;
  final String producerId;
  final long epoch;
  private final long seed;
  private final boolean carriesBigAppend;
  final List<Ack> acked = new ArrayList<>();
  Pending pending;
  private long nextSeq;

  ProducerStream(long seed, int index, String name, Kind kind, long epoch, boolean carriesBigAppend) {
    this.seed = seed;
    this.index = index;
    this.name = name;
    this.kind = kind;
    this.producerId = "producer-" + name;
    this.epoch = epoch;
    this.carriesBigAppend = carriesBigAppend;
  }

  /** The pending append, creating the next one if none is in flight. */
  Pending pendingOrNext() {
    if (pending == null) {
      pending = new Pending(nextSeq, body(nextSeq));
    }
    return pending;
  }

  /** Moves the pending append to the ledger. */
  Ack acknowledge(String endOffset) {
    Ack a = new Ack(pending.seq, pending.body, endOffset, pending.attempts);
    acked.add(a);
    pending = null;
    nextSeq++;
    return a;
  }

  /** Appends sent outside the writer (after the load stopped) are recorded through here. */
  Ack acknowledgeDirect(long seq, byte[] body, String endOffset) {
    if (pending != null || seq != nextSeq) {
      throw new IllegalStateException(name + ": direct ack of seq " + seq + " while next is " + nextSeq
          + (pending == null ? "" : " and seq " + pending.seq + " is pending"));
    }
    pendingOrNext();
    pending.attempts = 1;
    return acknowledge(endOffset);
  }

  long nextSeq() {
    return nextSeq;
  }

  /** The last acknowledged seq, or -1. */
  long lastAckedSeq() {
    return acked.isEmpty() ? -1 : acked.get(acked.size() - 1).seq();
  }

  /** The last end offset the server reported (from a 200), or null. */
  String lastKnownEndOffset() {
    for (int i = acked.size() - 1; i >= 0; i--) {
      if (acked.get(i).endOffset() != null) {
        return acked.get(i).endOffset();
      }
    }
    return null;
  }

  StreamClient.Producer producer(long seq) {
    return new StreamClient.Producer(producerId, epoch, seq);
  }

  /** The body of {@code seq}: the same bytes every time it is asked for. */
  byte[] body(long seq) {
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + seq);
    int size;
    if (carriesBigAppend && seq == (kind == Kind.BINARY ? BIG_BINARY_SEQ : BIG_JSON_SEQ)) {
      size = MIB + 64 * KIB + r.nextInt(MIB);
    } else {
      int p = r.nextInt(1000);
      size = p < 4 ? r.nextInt(64 * KIB + 1, 256 * KIB) : p < 40 ? r.nextInt(4 * KIB, 64 * KIB) : r.nextInt(16, 2 * KIB);
    }
    return kind == Kind.BINARY ? binaryBody(r, seq, size) : jsonBody(r, seq, size);
  }

  private byte[] binaryBody(SplittableRandom r, long seq, int size) {
    byte[] head = (name + "#" + seq + "#" + size + "|").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[Math.max(size, head.length)];
    System.arraycopy(head, 0, out, 0, head.length);
    for (int i = head.length; i < out.length; i++) {
      out[i] = (byte) r.nextInt(256);
    }
    return out;
  }

  private byte[] jsonBody(SplittableRandom r, long seq, int size) {
    int parts = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 0; // 0: a bare object, else an array of parts
    int messages = Math.max(1, parts);
    StringBuilder sb = new StringBuilder(size + 128);
    if (parts > 0) {
      sb.append('[');
    }
    for (int k = 0; k < messages; k++) {
      if (k > 0) {
        sb.append(',');
      }
      sb.append("{\"stream\":\"").append(name).append("\",\"seq\":").append(seq).append(",\"part\":").append(k)
          .append(",\"of\":").append(messages).append(",\"pad\":\"");
      for (int i = size / messages; i > 0; i--) {
        sb.append(ALNUM[r.nextInt(ALNUM.length)]);
      }
      sb.append("\"}");
    }
    if (parts > 0) {
      sb.append(']');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return name + " (" + kind.contentType + ", producer " + producerId + " epoch " + epoch + ", " + acked.size()
        + " acked, next seq " + nextSeq + ")";
  }
}
