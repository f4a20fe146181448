package io.tributary.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.tributary.common.Clock;
import io.tributary.config.TributaryConfig;
import io.tributary.service.StreamService;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP listener of a node: the client listener, the admin listener or the peer data listener
 * ({@link Plane}), each with its own socket, event loops and connection limit. Pipeline per
 * connection:
 * <pre>
 *   [SslHandler] → ConnectionGate → SlowRequestGuard → IdleStateHandler → WriteTimeoutHandler
 *     → HttpServerCodec → BufferBudget → [PrivateResponses]
 *     → BodyAggregator → FlowControlHandler → SlowRequestGuard.Arrival → StreamRequestHandler
 * </pre>
 * ({@code SslHandler} only on a listener with TLS, see {@link ServerTls}; {@code PrivateResponses}
 * only off the client plane.) The codec decodes every request in a read,
 * including pipelined ones behind the request in flight; the {@code FlowControlHandler} holds those
 * back until the handler turns reading on again, so requests are handled, and answered, one at a
 * time and in order. Event loops: one per core on the client listener (epoll when available), one
 * on the others. Built and bound on the main thread.
 */
public final class HttpServer implements AutoCloseable {
  private final TributaryConfig config;
  private final HttpContext hc;
  private final Plane plane;
  /** Null when this listener serves plain HTTP. */
  private final ServerTls tls;
  /** Node ids a peer certificate may name (the peer plane's mutual TLS). */
  private final java.util.Set<String> peerIds;
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private Channel channel;

  public HttpServer(Plane plane, TributaryConfig config, StreamService service, io.tributary.service.ClusterStatus clusterStatus,
      io.tributary.service.SegmentExports segmentExports, Clock clock, java.util.function.Supplier<java.util.List<String>> notReady,
      java.util.function.Supplier<String> metrics, io.tributary.auth.Authentication auth, ServerTls tls,
      io.tributary.service.subscription.Subscriptions subscriptions) {
    this.plane = plane;
    this.tls = tls;
    this.peerIds = config.peers().stream().map(io.tributary.config.TributaryConfig.Peer::id)
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
    this.config = config;
    this.hc = new HttpContext(service, config, new Cursors(clock, n -> ThreadLocalRandom.current().nextLong(n)), notReady,
        metrics::get, clusterStatus, segmentExports, auth, subscriptions);
  }

  /** Binds {@code host:port} (port 0 = a free one) and returns the bound port. */
  public int start(String host, int port) throws InterruptedException {
    IoHandlerFactory io = Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelType = Epoll.isAvailable() ? EpollServerSocketChannel.class
        : NioServerSocketChannel.class;
    int loops = plane != Plane.CLIENT ? 1
        : config.eventLoopThreads() > 0 ? config.eventLoopThreads() : Runtime.getRuntime().availableProcessors();
    boss = new MultiThreadIoEventLoopGroup(1, io);
    workers = new MultiThreadIoEventLoopGroup(loops, io);
    ConnectionGate gate = new ConnectionGate(hc.connections, config.connectionsMax(),
        config.abuse().connectionsPerIpMax(), hc.refusedPerAddress);
    ServerBootstrap b = new ServerBootstrap()
        .group(boss, workers)
        .channel(channelType)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 1024 * 1024))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            SlowRequestGuard guard = new SlowRequestGuard(config.requestTimeoutMillis(),
                config.abuse().firstByteTimeoutMillis());
            if (tls != null) {
              ch.pipeline().addLast(tls.newHandler(ch.alloc()));
              if (plane == Plane.PEER) {
                ch.pipeline().addLast(new PeerIdentity(peerIds));
              }
            }
            ch.pipeline()
                .addLast(gate)
                .addLast(guard)
                .addLast(new IdleStateHandler(0, 0, config.idleTimeoutMillis(), TimeUnit.MILLISECONDS))
                .addLast(new io.netty.handler.timeout.WriteTimeoutHandler(config.abuse().responseWriteTimeoutMillis(),
                    TimeUnit.MILLISECONDS))
                .addLast(new HttpServerCodec(8192, 16384, 65536))
                .addLast(new BufferBudget(hc.budget));
            if (plane == Plane.PEER && tls != null) {
              ch.pipeline().addLast(new io.netty.handler.stream.ChunkedWriteHandler()); // file ranges under TLS
            }
            if (plane != Plane.CLIENT) {
              ch.pipeline().addLast(PrivateResponses.INSTANCE);
            } else if (!config.browser().corsAnyOrigin()) {
              ch.pipeline().addLast(new CorsPolicy(config.browser()));
            }
            ch.pipeline()
                .addLast(new BodyAggregator((int) config.bodyBytesMax(), config.abuse().oversizedBodyDrainBytesMax()))
                .addLast(new FlowControlHandler())
                .addLast(new SlowRequestGuard.Arrival(guard))
                .addLast(new StreamRequestHandler(hc, plane));
          }
        });
    channel = b.bind(new InetSocketAddress(host, port)).sync().channel();
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  public int openConnections() {
    return hc.connections.get();
  }

  public int sseSubscribers() {
    return hc.sseSubscribers.get();
  }

  public int longPolls() {
    return hc.longPolls.get();
  }

  /** Prometheus lines of this listener's abuse bounds (client listener). */
  public String abuseMetrics() {
    return "# TYPE tributary_connections_refused_per_address_total counter\ntributary_connections_refused_per_address_total "
        + hc.refusedPerAddress.get() + "\n# TYPE tributary_request_buffer_bytes gauge\ntributary_request_buffer_bytes "
        + hc.budget.requestBytes.get() + "\n# TYPE tributary_response_buffer_bytes gauge\ntributary_response_buffer_bytes "
        + hc.budget.responseBytes.get() + "\n# TYPE tributary_request_buffer_refused_total counter\n"
        + "tributary_request_buffer_refused_total " + hc.budget.refused.get() + "\n" + hc.principalLimits.metrics();
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
