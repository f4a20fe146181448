package io.tributary.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponse;
import io.tributary.bench.client.Call;
import io.tributary.bench.client.HttpConn;
import io.tributary.bench.report.Recorder;
import java.nio.charset.StandardCharsets;

/**
 * One catch-up reader: {@code GET <stream>?offset=-1}, then again from each
 * {@code Stream-Next-Offset} until a response says {@code Stream-Up-To-Date: true}. Time to tail
 * runs from the common start to that response's end. Owned by its connection's event loop.
 */
final class CatchupReader {
  final HttpConn conn;
  private final Recorder rec;
  private final String target;
  private final long expectedBytes;
  private long startNanos;
  private long bytes;
  private boolean done;
  private long doneNanos;

  CatchupReader(HttpConn conn, Recorder rec, String target, long expectedBytes) {
    this.conn = conn;
    this.rec = rec;
    this.target = target;
    this.expectedBytes = expectedBytes;
  }

  void go(long startNanos) {
    this.startNanos = startNanos;
    conn.submit(new ReadCall("-1"));
  }

  boolean done() {
    return done;
  }

  long doneNanos() {
    return doneNanos;
  }

  private void finish(boolean ok, long nowNanos) {
    done = true;
    doneNanos = nowNanos;
    rec.count("bytes", bytes);
    if (ok) {
      rec.latencyNanos("timeToTail", nowNanos - startNanos);
      rec.count("ops", 1);
    }
    if (bytes != expectedBytes) {
      rec.count("shortReads", 1);
    }
  }

  /** One catch-up request. */
  private final class ReadCall extends Call {
    private final String offset;
    private int status;
    private String next;
    private boolean upToDate;

    ReadCall(String offset) {
      this.offset = offset;
    }

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, long nowNanos) {
      String req = "GET " + target + "?offset=" + offset + " HTTP/1.1\r\nHost: " + conn.endpoint().hostHeader()
          + "\r\n\r\n";
      return alloc.directBuffer(req.length()).writeBytes(req.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void onHead(HttpResponse head) {
      status = head.status().code();
      next = head.headers().get("Stream-Next-Offset");
      upToDate = "true".equalsIgnoreCase(head.headers().get("Stream-Up-To-Date"));
    }

    @Override
    public void onContent(ByteBuf content) {
      bytes += content.readableBytes();
    }

    @Override
    public void onComplete(long nowNanos) {
      rec.count("requests", 1);
      if (status != 200 || next == null) {
        rec.error("read_http_" + status);
        finish(false, nowNanos);
      } else if (upToDate) {
        finish(true, nowNanos);
      } else if (next.equals(offset)) {
        rec.error("no_progress");
        finish(false, nowNanos);
      } else {
        conn.submit(new ReadCall(next));
      }
    }

    @Override
    public void onFailure(Throwable cause, long nowNanos) {
      rec.error("read_" + cause.getClass().getSimpleName());
      finish(false, nowNanos);
    }
  }
}
