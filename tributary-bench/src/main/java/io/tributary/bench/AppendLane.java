package io.tributary.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponse;
import io.tributary.bench.client.Call;
import io.tributary.bench.client.HttpConn;
import io.tributary.bench.client.Requests;
import io.tributary.bench.report.Recorder;
import java.nio.channels.ClosedChannelException;
import java.net.ConnectException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * One writer connection and the streams it owns. Closed loop: one append at a time, the next as
 * soon as the previous is answered, cycling through the lane's streams; latency runs from send to
 * response. Open loop: appends are queued at their scheduled time ({@link #offer}) and latency
 * runs from that intended time, so a slow server is charged for the queueing it causes
 * (no coordinated omission). With producer headers each stream has its own {@code Producer-Id};
 * the sequence number advances only on success, so a failed append is retried (closed loop) or
 * its number reused by the next one (open loop) and the server never sees a gap.
 *
 * <p>Owned by the connection's event loop.
 */
final class AppendLane {
  /** Pause after an overload answer (503/429) or a broken connection before the lane goes on. */
  private static final long BACKOFF_MILLIS = 20;
  private static final byte[] PRODUCER_EPOCH_0 = Requests.ascii("Producer-Epoch: 0\r\n");
  private static final byte[] PRODUCER_SEQ = Requests.ascii("Producer-Seq: ");

  final HttpConn conn;
  private final Recorder rec;
  private final int[] streams;
  private final byte[][] heads;
  private final byte[][] producerIds;
  private final long[] producerSeq;
  private final Payload payload;
  private final LongConsumer onAcked;
  private final int queueMax;
  private boolean closedLoop;
  private boolean running;
  private int cursor;

  /**
   * @param streams global indexes of the streams this lane writes
   * @param contentType the streams' content type (a mismatch is a 409)
   * @param producerRunId null for plain appends; else the prefix of each stream's Producer-Id
   * @param onAcked called with the op tag of every acknowledged append (may be null)
   * @param queueMax open loop: appends queued beyond this are dropped and counted as {@code overflow}
   */
  AppendLane(BenchContext ctx, HttpConn conn, String tag, int[] streams, String contentType, Payload payload,
      String producerRunId, LongConsumer onAcked, int queueMax) {
    this.conn = conn;
    this.rec = ctx.recorder(conn.loop());
    this.streams = streams;
    this.payload = payload;
    this.onAcked = onAcked;
    this.queueMax = queueMax;
    this.heads = new byte[streams.length][];
    this.producerIds = producerRunId == null ? null : new byte[streams.length][];
    this.producerSeq = new long[streams.length];
    for (int i = 0; i < streams.length; i++) {
      heads[i] = Requests.headPrefix("POST", ctx.target(tag, streams[i]), conn.endpoint(), contentType, payload.bytes());
      if (producerIds != null) {
        producerIds[i] = Requests.ascii("Producer-Id: " + producerRunId + "-" + streams[i] + "\r\n");
      }
    }
  }

  int streamCount() {
    return streams.length;
  }

  /** Closed loop: starts the lane's single writer. */
  void startClosedLoop() {
    closedLoop = true;
    running = true;
    issue(cursor, System.nanoTime(), -1);
  }

  /** Open loop: accepting offers. */
  void startOpenLoop() {
    closedLoop = false;
    running = true;
  }

  void stop() {
    running = false;
  }

  boolean idle() {
    return conn.inFlight() == 0 && conn.queued() == 0;
  }

  /** Open loop: the op {@code tag} for the lane's {@code local}-th stream is due at {@code intendedNanos}. */
  void offer(int local, long tag, long intendedNanos) {
    if (!running) {
      return;
    }
    rec.count("offered", 1);
    if (conn.queued() >= queueMax) {
      rec.error("overflow");
      return;
    }
    issue(local, intendedNanos, tag);
  }

  private void issue(int local, long intendedNanos, long tag) {
    AppendCall c = new AppendCall(local, tag);
    c.intendedNanos = intendedNanos;
    conn.submit(c);
  }

  private void completed(AppendCall c, int status, String expectedSeq, long nowNanos) {
    if (status >= 200 && status < 300) {
      if (producerIds != null) {
        producerSeq[c.local]++;
      }
      rec.count("ops", 1);
      rec.latencyNanos("ack", nowNanos - (closedLoop ? c.sentNanos : c.intendedNanos));
      if (onAcked != null) {
        onAcked.accept(c.tag);
      }
      next(c, true, false);
      return;
    }
    rec.error("http_" + status);
    boolean overload = status == 503 || status == 429;
    if (producerIds != null && status == 409 && expectedSeq != null) {
      // out of step with the server (should not happen): take its word and go on
      producerSeq[c.local] = Long.parseLong(expectedSeq.trim());
    }
    next(c, !overload || producerIds == null, overload);
  }

  private void failed(AppendCall c, Throwable cause) {
    if (!running) {
      return; // our own close at the end of the run, not the server's doing
    }
    rec.error(cause instanceof ConnectException ? "connect" : cause instanceof ClosedChannelException ? "closed"
        : "io");
    next(c, producerIds == null, true);
  }

  /** Closed loop only: the lane's next append (the same stream again unless {@code advance}). */
  private void next(AppendCall c, boolean advance, boolean backoff) {
    if (!closedLoop || !running) {
      return;
    }
    if (advance) {
      cursor = (c.local + 1) % streams.length;
    }
    if (backoff) {
      conn.loop().schedule(() -> {
        if (running) {
          issue(cursor, System.nanoTime(), -1);
        }
      }, BACKOFF_MILLIS, TimeUnit.MILLISECONDS);
    } else {
      issue(cursor, System.nanoTime(), -1);
    }
  }

  /** One append; encodes the producer sequence number current at send time. Event loop only. */
  private final class AppendCall extends Call {
    final int local;
    final long tag;
    private int status;
    private String expectedSeq;

    AppendCall(int local, long tag) {
      this.local = local;
      this.tag = tag;
    }

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, long nowNanos) {
      byte[] head = heads[local];
      ByteBuf out = alloc.directBuffer(head.length + 96 + payload.bytes());
      out.writeBytes(head);
      if (producerIds != null) {
        out.writeBytes(producerIds[local]).writeBytes(PRODUCER_EPOCH_0);
        Requests.header(out, PRODUCER_SEQ, producerSeq[local]);
      }
      Requests.endHead(out);
      payload.write(out, tag, nowNanos);
      return out;
    }

    @Override
    public void onHead(HttpResponse head) {
      status = head.status().code();
      if (status == 409) {
        expectedSeq = head.headers().get("Producer-Expected-Seq");
      }
    }

    @Override
    public void onComplete(long nowNanos) {
      completed(this, status, expectedSeq, nowNanos);
    }

    @Override
    public void onFailure(Throwable cause, long nowNanos) {
      failed(this, cause);
    }
  }
}
