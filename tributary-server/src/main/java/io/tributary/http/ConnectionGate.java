package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds open connections: past {@code connections-max} in all, or past
 * {@code connections-per-ip-max} from one remote address, a new connection gets a raw 503 with
 * {@code Retry-After} and is closed, so one address cannot take every slot. Shared by all channels
 * of a listener; the counters are atomic (the per-address map drops an address at zero).
 */
@ChannelHandler.Sharable
final class ConnectionGate extends ChannelInboundHandlerAdapter {
  private static final byte[] FULL = ("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
      + "Cross-Origin-Resource-Policy: cross-origin\r\nAccess-Control-Allow-Origin: *\r\n"
      + "Connection: close\r\nContent-Length: 25\r\n\r\ntoo many open connections").getBytes(StandardCharsets.US_ASCII);

  private static final byte[] FULL_FOR_ADDRESS = ("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
      + "Connection: close\r\nContent-Length: 40\r\n\r\ntoo many open connections from your address")
      .getBytes(StandardCharsets.US_ASCII);

  /** The address this connection was counted under (only connections admitted past the total bound). */
  private static final io.netty.util.AttributeKey<java.net.InetAddress> COUNTED =
      io.netty.util.AttributeKey.valueOf("tributary.gate.address");

  private final AtomicInteger open;
  private final int max;
  private final int perAddressMax;
  private final java.util.concurrent.ConcurrentHashMap<java.net.InetAddress, AtomicInteger> byAddress =
      new java.util.concurrent.ConcurrentHashMap<>();
  /** Connections refused for the per-address bound (a metric). */
  private final java.util.concurrent.atomic.AtomicLong refusedPerAddress;

  ConnectionGate(AtomicInteger open, int max, int perAddressMax, java.util.concurrent.atomic.AtomicLong refusedPerAddress) {
    this.open = open;
    this.max = max;
    this.perAddressMax = perAddressMax;
    this.refusedPerAddress = refusedPerAddress;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(FULL)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    java.net.InetAddress a = address(ctx);
    if (a == null) {
      ctx.fireChannelActive();
      return;
    }
    ctx.channel().attr(COUNTED).set(a);
    if (byAddress.computeIfAbsent(a, k -> new AtomicInteger()).incrementAndGet() > perAddressMax) {
      refusedPerAddress.incrementAndGet();
      ctx.writeAndFlush(Unpooled.wrappedBuffer(FULL_FOR_ADDRESS)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    open.decrementAndGet();
    java.net.InetAddress a = ctx.channel().attr(COUNTED).getAndSet(null);
    if (a != null) {
      byAddress.computeIfPresent(a, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
    ctx.fireChannelInactive();
  }

  private static java.net.InetAddress address(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress isa ? isa.getAddress() : null;
  }
}
