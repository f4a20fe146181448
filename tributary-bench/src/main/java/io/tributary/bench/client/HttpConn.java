package io.tributary.bench.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One keep-alive HTTP/1.1 connection with a FIFO of calls. Up to {@code pipelineDepth} requests
 * are on the wire at once (responses come back in request order, which is what makes HTTP/1.1
 * pipelining safe); the rest wait in the queue. The connection is opened on the first submit and
 * re-opened on the next submit after the server closed it (idle keep-alive timeouts, SSE
 * connections the server ends). Calls in flight when the connection drops fail; queued calls
 * stay queued.
 *
 * <p>Owned by one event loop: every method must run on {@link #loop()}.
 */
public final class HttpConn {
  /** Largest response head line / header block we accept; servers send small heads. */
  private static final int MAX_INITIAL_LINE_BYTES = 8192;
  private static final int MAX_HEADER_BYTES = 16384;
  private static final int MAX_CHUNK_BYTES = 65536;

  private final ClientLoops loops;
  private final EventLoop loop;
  private final Endpoint endpoint;
  private final int pipelineDepth;
  private final ArrayDeque<Call> queued = new ArrayDeque<>();
  private final ArrayDeque<Call> inFlight = new ArrayDeque<>();
  private Channel channel;
  private boolean connecting;
  private boolean closed;
  private long connects;

  public HttpConn(ClientLoops loops, EventLoop loop, Endpoint endpoint, int pipelineDepth) {
    if (pipelineDepth < 1) {
      throw new IllegalArgumentException("pipeline depth must be >= 1");
    }
    this.loops = loops;
    this.loop = loop;
    this.endpoint = endpoint;
    this.pipelineDepth = pipelineDepth;
  }

  public EventLoop loop() {
    return loop;
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  /** Queues a call and sends it as soon as the connection has room. */
  public void submit(Call call) {
    assert loop.inEventLoop();
    if (closed) {
      call.onFailure(new ClosedChannelException(), System.nanoTime());
      return;
    }
    queued.add(call);
    pump();
  }

  /** Puts a call back at the head of the queue (a retry that must keep its order). */
  public void submitFirst(Call call) {
    assert loop.inEventLoop();
    if (closed) {
      call.onFailure(new ClosedChannelException(), System.nanoTime());
      return;
    }
    queued.addFirst(call);
    pump();
  }

  /** Opens the connection without sending anything (so a barrier can wait for all connects). */
  public void connect() {
    assert loop.inEventLoop();
    if (channel == null && !connecting && !closed) {
      open();
    }
  }

  public boolean isConnected() {
    return channel != null && channel.isActive();
  }

  public int inFlight() {
    return inFlight.size();
  }

  public int queued() {
    return queued.size();
  }

  /** TCP connections opened so far (1 + reconnects). */
  public long connects() {
    return connects;
  }

  /** Closes for good: nothing is sent or re-opened afterwards. */
  public void close() {
    assert loop.inEventLoop();
    closed = true;
    queued.clear();
    if (channel != null) {
      channel.close();
    }
  }

  private void pump() {
    if (channel == null) {
      if (!connecting && !queued.isEmpty()) {
        open();
      }
      return;
    }
    boolean wrote = false;
    while (inFlight.size() < pipelineDepth && !queued.isEmpty()) {
      Call c = queued.poll();
      long now = System.nanoTime();
      c.sentNanos = now;
      ByteBuf req = c.encode(channel.alloc(), now);
      inFlight.add(c);
      channel.write(req, channel.voidPromise());
      wrote = true;
    }
    if (wrote) {
      channel.flush();
    }
  }

  private void open() {
    connecting = true;
    connects++;
    ChannelFuture f = loops.bootstrap(loop).handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new HttpResponseDecoder(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, MAX_CHUNK_BYTES))
            .addLast(new Handler());
      }
    }).connect(endpoint.host(), endpoint.port());
    f.addListener((ChannelFuture cf) -> {
      connecting = false;
      if (cf.isSuccess()) {
        if (closed) {
          cf.channel().close();
          return;
        }
        channel = cf.channel();
        pump();
      } else {
        failAll(new ArrayList<>(queued), cf.cause());
        queued.clear();
      }
    });
  }

  private static void failAll(List<Call> calls, Throwable cause) {
    long now = System.nanoTime();
    for (Call c : calls) {
      c.onFailure(cause, now);
    }
  }

  /** Pipeline end: routes response pieces to the oldest call in flight. Event loop only. */
  private final class Handler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        HttpObject o = (HttpObject) msg;
        if (o.decoderResult().isFailure()) {
          ctx.close();
          return;
        }
        Call c = inFlight.peek();
        if (c == null) {
          // a response nobody asked for: the connection is out of step, start over
          ctx.close();
          return;
        }
        if (o instanceof HttpResponse r) {
          if (r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            return;
          }
          c.onHead(r);
        }
        if (o instanceof HttpContent content) {
          if (content.content().isReadable()) {
            c.onContent(content.content());
          }
          if (o instanceof LastHttpContent) {
            inFlight.poll();
            c.onComplete(System.nanoTime());
            pump();
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (channel == ctx.channel()) {
        channel = null;
      }
      List<Call> lost = new ArrayList<>(inFlight);
      inFlight.clear();
      failAll(lost, new ClosedChannelException());
      if (!closed) {
        pump();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // connection resets and the like: the calls in flight fail in channelInactive; anything
      // else is a bug in a callback, which must not go unnoticed
      if (!(cause instanceof IOException)) {
        System.err.println("bench: unexpected error on " + endpoint.url() + ": " + cause);
        cause.printStackTrace();
      }
      ctx.close();
    }
  }
}
