package io.tributary.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;

/**
 * On the admin and peer listeners, takes the CORS grants off every response head: no web page on
 * another origin may read what those listeners answer (the client listener's responses carry
 * {@code Access-Control-Allow-Origin}, added where each response is built). Stateless, shared by
 * every connection of a listener; runs on the connection's event loop.
 */
@ChannelHandler.Sharable
final class PrivateResponses extends ChannelOutboundHandlerAdapter {
  static final PrivateResponses INSTANCE = new PrivateResponses();

  private PrivateResponses() {}

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof HttpResponse r) {
      Responses.removeCorsGrants(r.headers());
      r.headers().set("Cross-Origin-Resource-Policy", "same-origin");
    }
    super.write(ctx, msg, promise);
  }
}
