package io.tributary.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Aggregates a request body up to {@code body-bytes-max}; larger bodies (declared or streamed)
 * get 413 with the usual headers and a reason, and the connection closes once the rest of the
 * body was read and dropped, up to {@code oversized-body-drain-bytes-max} more (a close with the
 * client's bytes unread makes the kernel reset the connection, and a client still sending then
 * sees the reset, not the 413: an unknown outcome where the answer was a definite "too large").
 * A body longer than that is cut by the close; one that stalls, by {@code request-timeout-ms}
 * ({@link SlowRequestGuard}). The same holds for the aggregator's answers to {@code Expect}: a
 * declared oversized body gets that 413 instead of {@code 100 Continue} (and the connection
 * closes: the client sends no body), an expectation other than {@code 100-continue} gets 417 with
 * a reason. One instance per channel; event-loop only.
 */
final class BodyAggregator extends HttpObjectAggregator {
  private final long maxBytes;
  private final long drainBytesMax;
  /** Bytes of a refused body still to read and drop before closing, or -1 when not draining. */
  private long drainLeftBytes = -1;
  /** The 413 being sent while draining: the connection closes once it is written. */
  private ChannelFuture tooLargeSent;

  BodyAggregator(int maxBytes, long drainBytesMax) {
    super(maxBytes, true);
    this.maxBytes = maxBytes;
    this.drainBytesMax = drainBytesMax;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    ChannelFuture sent = ctx.writeAndFlush(tooLarge());
    if (drainBytesMax == 0) {
      sent.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    // the aggregator drops the rest of the body; channelRead counts it and closes at its end
    drainLeftBytes = drainBytesMax;
    tooLargeSent = sent;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    boolean last = msg instanceof LastHttpContent;
    if (drainLeftBytes >= 0 && msg instanceof HttpContent c) {
      drainLeftBytes -= c.content().readableBytes();
      ReferenceCountUtil.release(msg);
      if (last || drainLeftBytes < 0) {
        closeAfterTooLarge();
      }
      return;
    }
    super.channelRead(ctx, msg); // may refuse the body and start draining
    if (drainLeftBytes >= 0 && last) {
      closeAfterTooLarge(); // the content that went over the limit was the body's last
    }
  }

  private void closeAfterTooLarge() {
    drainLeftBytes = -1;
    tooLargeSent.addListener(ChannelFutureListener.CLOSE);
    tooLargeSent = null;
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
