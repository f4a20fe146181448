package io.tributary.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * Aggregates a request body up to {@code body-bytes-max}; larger bodies (declared or streamed)
 * get 413 with the usual headers and a reason, and the connection is closed (the rest of the
 * body is not read). The same holds for the aggregator's answers to {@code Expect}: a declared
 * oversized body gets that 413 instead of {@code 100 Continue}, an expectation other than
 * {@code 100-continue} gets 417 with a reason. Event-loop only.
 */
final class BodyAggregator extends HttpObjectAggregator {
  private final long maxBytes;

  BodyAggregator(int maxBytes) {
    super(maxBytes, true);
    this.maxBytes = maxBytes;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    ctx.writeAndFlush(tooLarge()).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * Netty answers a failed expectation with a bare response (no body, none of our headers); keep
   * its status and the close that follows, but send our error form instead.
   */
  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object r = super.newContinueResponse(start, maxContentLength, pipeline);
    if (!(r instanceof FullHttpResponse bare) || bare.status().code() < 400) {
      return r;
    }
    HttpResponseStatus status = bare.status();
    ReferenceCountUtil.release(bare);
    if (status.equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
      return tooLarge();
    }
    FullHttpResponse failed = Responses.error(status, "unsupported Expect header (only 100-continue is supported)");
    failed.headers().set(HttpHeaderNames.CONNECTION, "close");
    return failed;
  }

  private FullHttpResponse tooLarge() {
    FullHttpResponse r = Responses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
        "request body exceeds the limit of " + maxBytes + " bytes");
    r.headers().set(HttpHeaderNames.CONNECTION, "close");
    return r;
  }
}
