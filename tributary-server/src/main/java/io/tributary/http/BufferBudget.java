package io.tributary.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of buffered bytes (docs/security.md, "Abuse limits"). Request bodies are
 * held whole until handled, and responses wait in the outbound buffer until the client reads
 * them; without a bound, a few clients that upload slowly or never read can take the heap from
 * everybody. Two shared counters:
 * <ul>
 *   <li>request bytes: a request reserves its declared {@code Content-Length} (or each chunk as
 *   it comes) when its head arrives, and gives it back when its response has been written or the
 *   connection ends. A request that does not fit gets a 503 with {@code Retry-After} and the
 *   connection is closed (its body is not read);</li>
 *   <li>response bytes: every response body written counts until the socket took it; the read
 *   routes refuse new catch-up reads with 503 while the sum is over its bound
 *   ({@link #responsesOverBudget}).</li>
 * </ul>
 * One instance per connection, on its event loop; the counters are shared by every connection of
 * the listener.
 */
final class BufferBudget extends ChannelDuplexHandler {
  private static final byte[] FULL = RawResponse.of("503 Service Unavailable", "Retry-After: 1\r\n",
      "the node's request buffer budget is in use");

  /**
   * The shared counters and their bounds. One remote address may hold at most a quarter of
   * either budget (beyond one request of its own), so a few addresses that stall cannot take it
   * from the rest. Thread-safe.
   */
  static final class Counters {
    final AtomicLong requestBytes = new AtomicLong();
    final AtomicLong responseBytes = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final long requestBytesMax;
    final long responseBytesMax;
    private final java.util.concurrent.ConcurrentHashMap<java.net.InetAddress, AtomicLong> requestByAddress =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<java.net.InetAddress, AtomicLong> responseByAddress =
        new java.util.concurrent.ConcurrentHashMap<>();

    Counters(long requestBytesMax, long responseBytesMax) {
      this.requestBytesMax = requestBytesMax;
      this.responseBytesMax = responseBytesMax;
    }

    /**
     * True when a new catch-up read from {@code address} must wait: the address already has
     * response bytes waiting and either its share or the node's budget is in use. An address with
     * nothing waiting always gets its read (one chunk, bounded by read-chunk-bytes-max), so
     * clients that read their answers are never refused because others do not.
     */
    boolean responsesOverBudget(java.net.InetAddress address) {
      AtomicLong mine = address == null ? null : responseByAddress.get(address);
      if (mine == null || mine.get() <= 0) {
        return false;
      }
      return responseBytes.get() > responseBytesMax || mine.get() > responseBytesMax / 4;
    }

    /** Reserves {@code bytes} of request budget for {@code address}; false (nothing reserved) when it does not fit. */
    boolean reserveRequest(java.net.InetAddress address, long bytes) {
      long mine = add(requestByAddress, address, bytes);
      long all = requestBytes.addAndGet(bytes);
      boolean alone = mine == bytes; // the address's only request always fits (body-bytes-max bounds it)
      if (!alone && (all > requestBytesMax || mine > requestBytesMax / 4)) {
        add(requestByAddress, address, -bytes);
        requestBytes.addAndGet(-bytes);
        return false;
      }
      return true;
    }

    void releaseRequest(java.net.InetAddress address, long bytes) {
      add(requestByAddress, address, -bytes);
      requestBytes.addAndGet(-bytes);
    }

    void addResponse(java.net.InetAddress address, long bytes) {
      add(responseByAddress, address, bytes);
      responseBytes.addAndGet(bytes);
    }

    private static long add(java.util.concurrent.ConcurrentHashMap<java.net.InetAddress, AtomicLong> m,
        java.net.InetAddress a, long bytes) {
      if (a == null) {
        return bytes;
      }
      long[] now = new long[1];
      m.compute(a, (k, v) -> {
        AtomicLong c = v == null ? new AtomicLong() : v;
        now[0] = c.addAndGet(bytes);
        return now[0] <= 0 ? null : c;
      });
      return now[0];
    }
  }

  private final Counters counters;
  /** The remote address, once active (null for non-IP channels). */
  private java.net.InetAddress address;
  /** Bytes this connection holds in the request budget (its request in flight, and one pipelined). */
  private long held;
  /** True after a refusal: the rest of what the client sends is dropped until the close. */
  private boolean refusing;
  /** The request being read declared no length: its chunks reserve as they come. */
  private boolean chunked;

  BufferBudget(Counters counters) {
    this.counters = counters;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    address = ConnectionGate.remoteAddress(ctx);
    super.channelActive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refusing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    long want = 0;
    if (msg instanceof HttpRequest r) {
      long declared = declaredLength(r);
      chunked = declared < 0;
      want = Math.max(0, declared);
    } else if (msg instanceof HttpContent c && chunked) {
      want = c.content().readableBytes(); // a body without a declared length reserves as it grows
    }
    if (want > 0 && !reserve(want)) {
      refusing = true;
      counters.refused.incrementAndGet();
      ReferenceCountUtil.release(msg);
      ctx.writeAndFlush(Unpooled.wrappedBuffer(FULL)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  /**
   * The request's declared body length, -1 without one; 0 for a request the decoder rejected or
   * whose length does not parse: it reaches the handler, which answers 400 with a reason.
   */
  private static long declaredLength(HttpRequest r) {
    if (!r.decoderResult().isSuccess()) {
      return 0;
    }
    try {
      return HttpUtil.getContentLength(r, -1L);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private boolean reserve(long bytes) {
    if (!counters.reserveRequest(address, bytes)) {
      return false;
    }
    held += bytes;
    return true;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    long bytes = msg instanceof ByteBufHolder h ? h.content().readableBytes()
        : msg instanceof ByteBuf b ? b.readableBytes() : 0;
    boolean last = msg instanceof io.netty.handler.codec.http.LastHttpContent
        || msg instanceof io.netty.handler.codec.http.FullHttpResponse;
    if (last && held > 0) {
      // the request this answers is done with its buffer once its response is complete
      counters.releaseRequest(address, held);
      held = 0;
    }
    if (bytes > 0) {
      java.net.InetAddress a = address;
      counters.addResponse(a, bytes);
      promise = promise.unvoid();
      promise.addListener(f -> counters.addResponse(a, -bytes));
    }
    super.write(ctx, msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (held > 0) {
      counters.releaseRequest(address, held);
      held = 0;
    }
    super.channelInactive(ctx);
  }
}
