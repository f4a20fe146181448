package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds open connections: past {@code connections-max} a new connection gets a raw 503 with
 * {@code Retry-After} and is closed. Shared by all channels; the counter is atomic.
 */
@ChannelHandler.Sharable
final class ConnectionGate extends ChannelInboundHandlerAdapter {
  private static final byte[] FULL = ("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
      + "Cross-Origin-Resource-Policy: cross-origin\r\nAccess-Control-Allow-Origin: *\r\n"
      + "Connection: close\r\nContent-Length: 25\r\n\r\ntoo many open connections").getBytes(StandardCharsets.US_ASCII);

  private final AtomicInteger open;
  private final int max;

  ConnectionGate(AtomicInteger open, int max) {
    this.open = open;
    this.max = max;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(FULL)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    open.decrementAndGet();
    ctx.fireChannelInactive();
  }
}
