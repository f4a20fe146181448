package io.tributary.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponse;
import io.tributary.bench.client.Call;
import io.tributary.bench.client.HttpConn;
import io.tributary.bench.client.LineSplitter;
import io.tributary.bench.report.Recorder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One long-poll reader of one stream: {@code GET <stream>?offset=<o>&live=long-poll[&cursor=c]},
 * again at once with the returned {@code Stream-Next-Offset} and {@code Stream-Cursor} after
 * every 200 (data: each body line goes to its {@link Delivery}) or 204 (timeout). Owned by its
 * connection's event loop.
 */
final class Poller {
  private static final long RETRY_MILLIS = 100;

  final HttpConn conn;
  private final Recorder rec;
  private final String target;
  private final Delivery delivery;
  private final LineSplitter lines = new LineSplitter();
  private String offset;
  private String cursor;
  private boolean running = true;

  Poller(HttpConn conn, Recorder rec, String target, String startOffset, SeqWindow window) {
    this.conn = conn;
    this.rec = rec;
    this.target = target;
    this.offset = startOffset;
    this.delivery = new Delivery(rec, window);
  }

  void poll() {
    if (running) {
      lines.reset();
      conn.submit(new PollCall());
    }
  }

  void stop() {
    running = false;
    conn.close();
  }

  /** One long-poll request. */
  private final class PollCall extends Call {
    private int status;
    private String next;
    private String nextCursor;

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, long nowNanos) {
      String req = "GET " + target + "?offset=" + offset + "&live=long-poll" + (cursor != null ? "&cursor=" + cursor : "")
          + " HTTP/1.1\r\nHost: " + conn.endpoint().hostHeader() + "\r\n\r\n";
      return alloc.directBuffer(req.length()).writeBytes(req.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void onHead(HttpResponse head) {
      status = head.status().code();
      next = head.headers().get("Stream-Next-Offset");
      nextCursor = head.headers().get("Stream-Cursor");
    }

    @Override
    public void onContent(ByteBuf content) {
      if (status == 200) {
        lines.feed(content, delivery::line);
      }
    }

    @Override
    public void onComplete(long nowNanos) {
      if (!running) {
        return;
      }
      if ((status == 200 || status == 204) && next != null) {
        rec.count(status == 200 ? "polls200" : "polls204", 1);
        offset = next;
        cursor = nextCursor;
        poll();
      } else {
        rec.error("poll_http_" + status);
        conn.loop().schedule(Poller.this::poll, RETRY_MILLIS, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void onFailure(Throwable cause, long nowNanos) {
      if (running) {
        rec.error("poll_" + cause.getClass().getSimpleName());
        conn.loop().schedule(Poller.this::poll, RETRY_MILLIS, TimeUnit.MILLISECONDS);
      }
    }
  }
}
