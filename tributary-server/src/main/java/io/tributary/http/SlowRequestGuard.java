package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sits before the HTTP codec and bounds how long a request may take to arrive: the clock starts
 * at the first byte of a request and stops when the complete request reaches the handler. A
 * stalled request (slowloris, truncated body) gets a raw 408 and the connection is closed. Also
 * closes connections that stay idle past {@code idle-timeout-ms}. One instance per channel;
 * event-loop only.
 */
final class SlowRequestGuard extends ChannelDuplexHandler {
  private static final byte[] TIMEOUT = RawResponse.of("408 Request Timeout",
      "Cross-Origin-Resource-Policy: cross-origin\r\nAccess-Control-Allow-Origin: *\r\n", "request did not arrive in time");

  private final long requestTimeoutMillis;
  private final long firstByteTimeoutMillis;
  /** True once the connection sent any byte. */
  private boolean sawByte;
  /** When the first byte of the request now arriving came, or -1 between requests. */
  private long requestStartNanos = -1;
  /**
   * The pending check, or null. It is not cancelled when a request completes: scheduling and
   * cancelling a timer per request showed in profiles, so the check runs at most once per timeout
   * period, and re-arms only while a request is still arriving.
   */
  private ScheduledFuture<?> check;

  SlowRequestGuard(long requestTimeoutMillis, long firstByteTimeoutMillis) {
    this.requestTimeoutMillis = requestTimeoutMillis;
    this.firstByteTimeoutMillis = firstByteTimeoutMillis;
  }

  /**
   * A new connection must send its first byte within {@code first-byte-timeout-ms}, or it is
   * closed without an answer: a socket that sends nothing holds a connection slot for the idle
   * timeout otherwise.
   */
  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.executor().schedule(() -> {
      if (!sawByte && ctx.channel().isActive()) {
        ctx.close();
      }
    }, firstByteTimeoutMillis, TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    sawByte = true;
    if (requestStartNanos < 0) {
      requestStartNanos = System.nanoTime();
      if (check == null) {
        arm(ctx, TimeUnit.MILLISECONDS.toNanos(requestTimeoutMillis));
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void arm(ChannelHandlerContext ctx, long delayNanos) {
    check = ctx.executor().schedule(() -> {
      check = null;
      if (requestStartNanos < 0 || !ctx.channel().isActive()) {
        return;
      }
      long leftNanos = requestStartNanos + TimeUnit.MILLISECONDS.toNanos(requestTimeoutMillis) - System.nanoTime();
      if (leftNanos > 0) {
        arm(ctx, leftNanos);
        return;
      }
      ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
    }, delayNanos, TimeUnit.NANOSECONDS);
  }

  /** Called (on the event loop) when a complete request was decoded. */
  void requestArrived() {
    requestStartNanos = -1;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    requestArrived();
    if (check != null) {
      check.cancel(false);
      check = null;
    }
    ctx.fireChannelInactive();
  }

  /** Marks the request complete as it passes towards the stream handler. */
  static final class Arrival extends io.netty.channel.ChannelInboundHandlerAdapter {
    private final SlowRequestGuard guard;

    Arrival(SlowRequestGuard guard) {
      this.guard = guard;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof FullHttpRequest) {
        guard.requestArrived();
      }
      ctx.fireChannelRead(msg);
    }
  }
}
