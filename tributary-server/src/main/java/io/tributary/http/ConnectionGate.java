package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds open connections: past {@code connections-max} in all, or past
 * {@code connections-per-ip-max} from one remote address, a new connection gets a raw 503 with
 * {@code Retry-After} and is closed, so one address cannot take every slot. Shared by all channels
 * of a listener; the counters are atomic (the per-address map drops an address at zero).
 */
@ChannelHandler.Sharable
final class ConnectionGate extends ChannelInboundHandlerAdapter {
  private static final byte[] FULL = RawResponse.of("503 Service Unavailable", "Retry-After: 1\r\n"
      + "Cross-Origin-Resource-Policy: cross-origin\r\nAccess-Control-Allow-Origin: *\r\n", "too many open connections");

  private static final byte[] FULL_FOR_ADDRESS = RawResponse.of("503 Service Unavailable", "Retry-After: 1\r\n",
      "too many open connections from your address");

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
    java.net.InetAddress a = remoteAddress(ctx);
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

  /** The remote IP address of a connection, or null for a channel that has none. */
  static java.net.InetAddress remoteAddress(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress isa ? isa.getAddress() : null;
  }
}
