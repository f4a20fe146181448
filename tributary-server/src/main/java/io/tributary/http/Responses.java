package io.tributary.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.tributary.common.ContentTypes;
import java.nio.charset.StandardCharsets;

/**
 * Builds and sends responses. Every response carries the security and CORS headers, including
 * errors and SSE heads; error bodies are a short {@code text/plain} reason. Event-loop only.
 */
final class Responses {
  private Responses() {}

  static void addCommonHeaders(HttpHeaders h) {
    h.set("X-Content-Type-Options", "nosniff");
    // no response of this server is a page: a stream body a browser is sent to (a stream created as
    // text/html, an SVG) runs without script, forms or same-origin access (docs/security.md)
    h.set("Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'none'");
    h.set("Cross-Origin-Resource-Policy", "cross-origin");
    h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    h.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, ProtocolHeaders.EXPOSE);
  }

  /**
   * Sets a stream's content type on a response carrying (or describing) its bytes; an active type
   * ({@link ContentTypes#isActive}) is also marked as an attachment, so browsers download it
   * rather than render it, even where they ignore the sandbox.
   */
  static void streamContentType(HttpHeaders h, String contentType) {
    h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    if (ContentTypes.isActive(contentType)) {
      h.set(HttpHeaderNames.CONTENT_DISPOSITION, "attachment");
    }
  }

  /**
   * Takes every CORS grant off a response head: responses of the admin and peer listeners, and
   * client responses to an origin the allow-list does not name.
   */
  static void removeCorsGrants(HttpHeaders h) {
    h.remove(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN);
    h.remove(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS);
    h.remove(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS);
    h.remove(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS);
    h.remove(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE);
  }

  static FullHttpResponse full(HttpResponseStatus status, ByteBuf body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    addCommonHeaders(r.headers());
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    return r;
  }

  static FullHttpResponse empty(HttpResponseStatus status) {
    return full(status, Unpooled.EMPTY_BUFFER);
  }

  /**
   * Retry-After of a 429 for a reached limit: room comes back only when something else changes (a
   * producer idles out, a stream or bucket is deleted), so this is a polling interval, not a promise.
   */
  static final int LIMIT_RETRY_AFTER_SECONDS = 10;

  /**
   * A response with the reason as its body. A 429, 503 or 507 always carries Retry-After (1 s unless
   * the caller sets its own, as {@link #unavailable}, {@link #insufficientStorage} and
   * {@link #limitReached} do): a client must be able to tell when to come back.
   */
  static FullHttpResponse error(HttpResponseStatus status, String reason) {
    byte[] b = (reason == null ? status.reasonPhrase() : reason).getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = full(status, Unpooled.wrappedBuffer(b));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    int code = status.code();
    if (code == 429 || code == 503 || code == 507) {
      r.headers().setInt(HttpHeaderNames.RETRY_AFTER, 1);
    }
    return r;
  }

  /** 429: a configured bound was reached (producers per stream, buckets, streams per bucket). */
  static FullHttpResponse limitReached(String reason) {
    FullHttpResponse r = error(HttpResponseStatus.TOO_MANY_REQUESTS, reason);
    r.headers().setInt(HttpHeaderNames.RETRY_AFTER, LIMIT_RETRY_AFTER_SECONDS);
    return r;
  }

  static FullHttpResponse unavailable(String reason, int retryAfterSeconds) {
    FullHttpResponse r = error(HttpResponseStatus.SERVICE_UNAVAILABLE, reason);
    r.headers().setInt(HttpHeaderNames.RETRY_AFTER, Math.max(1, retryAfterSeconds));
    return r;
  }

  /** 507: the node's disk is short of space; the client may retry once it has been freed. */
  static FullHttpResponse insufficientStorage(String reason, int retryAfterSeconds) {
    FullHttpResponse r = error(HttpResponseStatus.INSUFFICIENT_STORAGE, reason);
    r.headers().setInt(HttpHeaderNames.RETRY_AFTER, Math.max(1, retryAfterSeconds));
    return r;
  }

  /** Writes a response; closes the connection afterwards unless it stays alive. */
  static ChannelFuture send(ChannelHandlerContext ctx, HttpResponse r, boolean keepAlive) {
    if (!keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFuture f = ctx.writeAndFlush(r);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
    return f;
  }
}
