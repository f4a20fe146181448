package io.tributary.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponse;
import io.tributary.bench.client.Call;
import io.tributary.bench.client.HttpConn;
import io.tributary.bench.client.SseParser;
import io.tributary.bench.report.Recorder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One SSE subscriber: {@code GET <stream>?offset=<o>&live=sse} on its own connection; each data
 * line goes to its {@link Delivery}; each control event moves its offset on. When the server ends
 * the response (SSE connections are closed about every minute) it reconnects from the last
 * {@code streamNextOffset}, so nothing is lost or repeated. Ready once the first control event
 * arrived (the server has registered it). Owned by its connection's event loop.
 */
final class Subscriber implements SseParser.Listener {
  private static final long RETRY_MILLIS = 100;

  final HttpConn conn;
  private final Recorder rec;
  private final String target;
  private final Delivery delivery;
  private final SseParser parser = new SseParser(this);
  private String offset;
  private boolean ready;
  private boolean running = true;

  Subscriber(HttpConn conn, Recorder rec, String target, String startOffset, SeqWindow window) {
    this.conn = conn;
    this.rec = rec;
    this.target = target;
    this.offset = startOffset;
    this.delivery = new Delivery(rec, window);
  }

  void open() {
    if (!running) {
      return;
    }
    parser.reset();
    conn.submit(new SseCall());
  }

  void stop() {
    running = false;
    conn.close();
  }

  boolean ready() {
    return ready;
  }

  @Override
  public void dataLine(ByteBuf buf, int from, int length) {
    delivery.line(buf, from, length);
  }

  @Override
  public void control(String json) {
    String next = SseParser.stringField(json, "streamNextOffset");
    if (next != null) {
      offset = next;
    }
    if (!ready) {
      ready = true;
      rec.count("ready", 1);
    }
  }

  private void retryLater() {
    conn.loop().schedule(this::open, RETRY_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** One SSE response, possibly a minute long. */
  private final class SseCall extends Call {
    private int status;

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, long nowNanos) {
      String req = "GET " + target + "?offset=" + offset + "&live=sse HTTP/1.1\r\nHost: " + conn.endpoint().hostHeader()
          + "\r\nAccept: text/event-stream\r\n\r\n";
      return alloc.directBuffer(req.length()).writeBytes(req.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void onHead(HttpResponse head) {
      status = head.status().code();
      if (status != 200) {
        rec.error("sse_http_" + status);
      }
    }

    @Override
    public void onContent(ByteBuf content) {
      if (status == 200) {
        parser.feed(content);
      }
    }

    @Override
    public void onComplete(long nowNanos) {
      if (!running) {
        return;
      }
      if (status == 200) {
        rec.count("reconnects", 1);
        open();
      } else {
        retryLater();
      }
    }

    @Override
    public void onFailure(Throwable cause, long nowNanos) {
      if (running) {
        rec.error("sse_" + cause.getClass().getSimpleName());
        retryLater();
      }
    }
  }
}
