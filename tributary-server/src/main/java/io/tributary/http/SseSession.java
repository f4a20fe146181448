package io.tributary.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.tributary.common.ContentTypes;
import io.tributary.common.Offsets;
import io.tributary.service.ReadResult;
import io.tributary.service.StreamInfo;
import io.tributary.service.StreamReads;
import io.tributary.service.Watch;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One SSE subscriber. A pump loop on the connection's event loop reads from the current position
 * to the tail (in chunks), writes one {@code data} event per chunk followed by one {@code control}
 * event, and parks on a stream watch when caught up. It stops pulling while the channel is not
 * writable (Netty's water marks) and resumes on writability. Keep-alive comments while idle; the
 * response ends (the connection stays open for the next request) after
 * {@code sse-connection-max-ms} or when the stream is closed and fully sent; a failed read ends it
 * after an {@code error} event (never silently).
 * Counted against {@code sse-subscribers-max} and its principal's {@code principal-sse-subscribers-max}.
 * Event-loop only.
 */
final class SseSession {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SseSession.class);
  private static final byte[] KEEPALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

  private final HttpContext hc;
  private final Exchange x;
  private StreamInfo info;
  private long pos;
  private final boolean base64;
  private boolean reading;
  private boolean ended;
  private boolean sentControl;
  private Watch watch;
  private ScheduledFuture<?> keepalive;
  private ScheduledFuture<?> maxAge;
  private long lastWriteNanos = System.nanoTime();
  /** This subscriber's place in its principal's sse limit; released in {@link #end}. */
  private PrincipalLimits.Slot slot;

  SseSession(HttpContext hc, Exchange x, StreamInfo info, long start) {
    this.hc = hc;
    this.x = x;
    this.info = info;
    this.pos = start;
    this.base64 = !ContentTypes.isTextual(info.contentType());
  }

  void start() {
    if (hc.sseSubscribers.incrementAndGet() > hc.config.sseSubscribersMax()) {
      hc.sseSubscribers.decrementAndGet();
      x.respond(Responses.unavailable("too many SSE subscribers", 1));
      return;
    }
    String who = PrincipalLimits.caller(x);
    slot = hc.principalLimits.acquire(PrincipalLimits.Kind.SSE, who);
    if (slot == null) {
      hc.sseSubscribers.decrementAndGet();
      x.respond(hc.principalLimits.refusal(PrincipalLimits.Kind.SSE, who));
      return;
    }
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    Responses.addCommonHeaders(head.headers());
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    head.headers().set(ProtocolHeaders.STREAM_INCARNATION, Long.toString(info.streamId()));
    if (base64) {
      head.headers().set(ProtocolHeaders.STREAM_SSE_DATA_ENCODING, "base64");
    }
    HttpUtil.setTransferEncodingChunked(head, true);
    if (!x.keepAlive) {
      head.headers().set(HttpHeaderNames.CONNECTION, "close");
    }
    x.ctx.write(head);
    SseChannels.attach(x.ctx.channel(), this);
    x.ctx.channel().closeFuture().addListener(f -> end(false));
    long ka = hc.config.sseKeepaliveMillis();
    keepalive = x.ctx.executor().scheduleAtFixedRate(this::keepalive, ka, ka, TimeUnit.MILLISECONDS);
    maxAge = x.ctx.executor().schedule(() -> end(true), hc.config.sseConnectionMaxMillis(), TimeUnit.MILLISECONDS);
    pump();
  }

  /** Called when the channel becomes writable again. */
  void onWritable() {
    pump();
  }

  private void pump() {
    if (ended || reading) {
      return;
    }
    if (!x.ctx.channel().isWritable()) {
      x.ctx.flush();
      return;
    }
    StreamReads.Lookup l = hc.service.reads().lookup(info.key());
    if (l.status() != ReadResult.Status.OK || l.info().streamId() != info.streamId()) {
      end(true);
      return;
    }
    info = l.info();
    if (pos < info.tail()) {
      reading = true;
      java.util.concurrent.CompletableFuture<ReadResult> read = hc.service.reads().read(l.view(), pos,
          hc.config.readChunkBytesMax());
      if (read.isDone()) {
        // served from memory (the tail cache) on this loop: no task hop per delivery (a fan-out
        // wakes every subscriber of a stream for each event)
        ReadResult res = null;
        Throwable err = null;
        try {
          res = read.join();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
          err = e;
        }
        afterRead(res, err);
        return;
      }
      read.whenComplete((res, err) -> x.ctx.executor().execute(() -> afterRead(res, err)));
      return;
    }
    if (info.closed()) {
      writeControl(true, true);
      end(true);
      return;
    }
    if (!sentControl) {
      writeControl(true, false);
    }
    x.ctx.flush();
    if (watch != null) {
      watch.cancel();
    }
    watch = hc.service.watch(info, pos, () -> x.ctx.executor().execute(this::pump));
  }

  private void afterRead(ReadResult res, Throwable err) {
    reading = false;
    if (err != null || res.status() != ReadResult.Status.OK) {
      fail(err, res);
      return;
    }
    writeChunk(res);
    pump();
  }

  /** The data event and its control event in one buffer: one chunk on the wire, one write. */
  private void writeChunk(ReadResult res) {
    ByteBuf b = SseFraming.dataEvent(x.ctx.alloc(), res.data(), res.info().json(), base64);
    pos = res.next();
    info = res.info();
    boolean atEnd = res.upToDate();
    io.netty.buffer.ByteBufUtil.writeUtf8(b, control(atEnd, atEnd && res.closedAtEnd()));
    sentControl = true;
    x.ctx.write(new DefaultHttpContent(b));
    lastWriteNanos = System.nanoTime();
    if (atEnd && res.closedAtEnd()) {
      end(true);
    }
  }

  /**
   * A read failed (a damaged range, an overloaded read pool, the stream gone or cut short): the
   * subscriber gets an {@code error} event saying why and where to resume, then the response ends.
   */
  private void fail(Throwable err, ReadResult res) {
    Throwable c = io.tributary.common.Failures.cause(err);
    String reason;
    boolean retryable;
    if (c == null) {
      reason = res.reason() != null ? res.reason() : res.status().toString();
      retryable = false;
    } else if (c instanceof io.tributary.service.DamagedRangeException d) {
      reason = d.getMessage(); // logged with the range where it was found
      retryable = d.repairing();
    } else if (c instanceof io.tributary.common.UnavailableException u) {
      reason = u.getMessage();
      retryable = true;
    } else {
      LOG.error("SSE read of {} at {} failed", info.key(), pos, c);
      reason = "internal error";
      retryable = false;
    }
    write(SseFraming.errorEvent(reason, retryable, Offsets.format(pos)));
    end(true);
  }

  private void writeControl(boolean upToDate, boolean closed) {
    write(control(upToDate, closed));
    sentControl = true;
  }

  private CharSequence control(boolean upToDate, boolean closed) {
    StringBuilder sb = new StringBuilder(160);
    sb.append("event: control\ndata:{\"streamNextOffset\":\"").append(Offsets.format(pos)).append('"');
    if (closed) {
      sb.append(",\"streamClosed\":true");
    } else {
      sb.append(",\"streamCursor\":\"").append(hc.cursors.next(x.param("cursor"))).append('"');
      if (upToDate) {
        sb.append(",\"upToDate\":true");
      }
    }
    sb.append("}\n\n");
    return sb;
  }

  private void write(CharSequence s) {
    ByteBuf b = x.ctx.alloc().buffer(s.length());
    io.netty.buffer.ByteBufUtil.writeUtf8(b, s);
    x.ctx.write(new DefaultHttpContent(b));
    lastWriteNanos = System.nanoTime();
  }

  private void keepalive() {
    if (ended) {
      return;
    }
    if (System.nanoTime() - lastWriteNanos >= TimeUnit.MILLISECONDS.toNanos(hc.config.sseKeepaliveMillis()) / 2) {
      x.ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(KEEPALIVE)));
      lastWriteNanos = System.nanoTime();
    }
  }

  /** Ends the session; with {@code graceful} the response is terminated before the connection closes. */
  private void end(boolean graceful) {
    if (ended) {
      return;
    }
    ended = true;
    hc.sseSubscribers.decrementAndGet();
    slot.release();
    if (watch != null) {
      watch.cancel();
    }
    if (keepalive != null) {
      keepalive.cancel(false);
    }
    if (maxAge != null) {
      maxAge.cancel(false);
    }
    SseChannels.attach(x.ctx.channel(), null);
    if (graceful && x.ctx.channel().isActive()) {
      // The chunked response ends properly, so the connection stays usable for the next request
      // (closing it here races with clients that already reuse it).
      var f = x.ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      if (!x.keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }
    x.finished();
  }
}
