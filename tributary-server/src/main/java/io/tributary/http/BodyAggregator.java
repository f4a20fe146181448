package io.tributary.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Aggregates a request body up to {@code body-bytes-max}; larger bodies (declared or streamed)
 * get 413 with the usual headers and a reason, and the connection is closed (the rest of the
 * body is not read). Event-loop only.
 */
final class BodyAggregator extends HttpObjectAggregator {
  private final long maxBytes;

  BodyAggregator(int maxBytes) {
    super(maxBytes, true);
    this.maxBytes = maxBytes;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    FullHttpResponse r = Responses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
        "request body exceeds the limit of " + maxBytes + " bytes");
    r.headers().set(HttpHeaderNames.CONNECTION, "close");
    ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
  }
}
