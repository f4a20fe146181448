package io.tributary.cluster;

import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One binary stream, its single idempotent producer, and the ledger of every append the cluster
 * acknowledged, in acknowledgement order (= seq order: one append in flight per producer).
 * Payloads are a pure function of (seed, stream, seq), distinct and self-describing: a body
 * starts with {@code <stream>#<seq>#<length>|} followed by random bytes of every value. Most are
 * small; a few percent reach 8 KiB, one in a hundred 64 KiB.
 *
 * <p>Threads: owned by one {@link ClusterWriter}; the test thread reads it only after that writer's
 * thread ended ({@link Thread#join} orders the accesses).
 */
final class ProducerLedger {
  static final String CONTENT_TYPE = "application/octet-stream";

  /**
   * An acknowledged append. {@code endOffset} is the {@code Stream-Next-Offset} of a 200, null
   * when the acknowledgement was a 204 duplicate; {@code endByte} is where the append ends in the
   * stream's data; {@code node} the node that acknowledged it.
   */
  record Ack(long seq, byte[] body, long endByte, String endOffset, int attempts, String node) {}

  /** The append in flight: sent zero or more times, outcome not known yet. */
  static final class Pending {
    final long seq;
    final byte[] body;
    int attempts;

    Pending(long seq, byte[] body) {
      this.seq = seq;
      this.body = body;
    }
  }

  private static final int KIB = 1024;

  final int index;
  final String name;
  final String producerId;
  final long epoch;
  private final long seed;
  final List<Ack> acked = new ArrayList<>();
  Pending pending;
  private long nextSeq;
  private long ackedBytes;

  ProducerLedger(long seed, int index, String name, long epoch) {
    this.seed = seed;
    this.index = index;
    this.name = name;
    this.producerId = "producer-" + name;
    this.epoch = epoch;
  }

  /** The pending append, creating the next one if none is in flight. */
  Pending pendingOrNext() {
    if (pending == null) {
      pending = new Pending(nextSeq, body(nextSeq));
    }
    return pending;
  }

  /** Where the stream's data ends if it holds exactly the acknowledged appends. */
  long ackedBytes() {
    return ackedBytes;
  }

  /** Moves the pending append to the ledger. */
  Ack acknowledge(String endOffset, String node) {
    ackedBytes += pending.body.length;
    Ack a = new Ack(pending.seq, pending.body, ackedBytes, endOffset, pending.attempts, node);
    acked.add(a);
    pending = null;
    nextSeq++;
    return a;
  }

  StreamClient.Producer producer(long seq) {
    return new StreamClient.Producer(producerId, epoch, seq);
  }

  /** Exactly the acknowledged appends, in order. */
  byte[] expectedContent() {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) ackedBytes);
    for (Ack a : acked) {
      out.writeBytes(a.body());
    }
    return out.toByteArray();
  }

  /** The body of {@code seq}: the same bytes every time it is asked for. */
  byte[] body(long seq) {
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + seq);
    int p = r.nextInt(100);
    int size = p == 0 ? r.nextInt(8 * KIB, 64 * KIB) : p < 5 ? r.nextInt(KIB, 8 * KIB) : r.nextInt(16, KIB);
    byte[] head = (name + "#" + seq + "#" + size + "|").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[Math.max(size, head.length)];
    System.arraycopy(head, 0, out, 0, head.length);
    for (int i = head.length; i < out.length; i++) {
      out[i] = (byte) r.nextInt(256);
    }
    return out;
  }

  /** Which acknowledged append holds stream byte {@code at}, for failure messages. */
  String locate(long at) {
    long start = 0;
    for (Ack a : acked) {
      if (at < start + a.body().length) {
        return "inside seq " + a.seq() + " (" + a.body().length + " bytes from stream byte " + start + ", acked by "
            + a.node() + " after " + a.attempts() + " attempts, end offset " + a.endOffset() + ")";
      }
      start += a.body().length;
    }
    return "after the last acknowledged append (stream byte " + start + ")";
  }

  @Override
  public String toString() {
    return name + " (producer " + producerId + " epoch " + epoch + ", " + acked.size() + " acked, " + ackedBytes
        + " bytes, next seq " + nextSeq + ")";
  }
}
