package io.tributary.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.config.BrowserConfig;
import java.util.ArrayDeque;

/**
 * The client listener's CORS allow-list (docs/security.md): every response is built with
 * {@code Access-Control-Allow-Origin: *}; when the deployment names its origins instead, this
 * handler keeps the grant only for a request whose {@code Origin} is on the list (answering that
 * origin and {@code Vary: Origin}) and takes every CORS header off the others, preflights
 * included. Responses leave in request order, so the origins of the requests decoded on this
 * connection wait in a FIFO, one per response head. One instance per connection, on its event
 * loop; not installed when any origin may read.
 */
final class CorsPolicy extends ChannelDuplexHandler {
  /** A bound: the codec decodes at most a few pipelined heads ahead of the one being answered. */
  private static final int PENDING_MAX = 64;

  private final BrowserConfig browser;
  private final ArrayDeque<String> origins = new ArrayDeque<>();

  CorsPolicy(BrowserConfig browser) {
    this.browser = browser;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest r && origins.size() < PENDING_MAX) {
      String o = r.headers().get(HttpHeaderNames.ORIGIN);
      origins.addLast(o == null ? "" : o);
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof HttpResponse r && !r.status().equals(HttpResponseStatus.CONTINUE)) {
      String origin = origins.pollFirst();
      HttpHeaders h = r.headers();
      h.add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
      if (origin != null && !origin.isEmpty() && browser.corsOrigins().contains(origin)) {
        h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
      } else {
        Responses.removeCorsGrants(h);
      }
    }
    super.write(ctx, msg, promise);
  }
}
