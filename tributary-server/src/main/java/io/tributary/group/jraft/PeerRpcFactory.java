package io.tributary.group.jraft;

import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.GrpcRaftRpcFactory;
import com.alipay.sofa.jraft.rpc.impl.GrpcServer;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.SPI;
import com.google.protobuf.Message;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.util.MutableHandlerRegistry;
import io.tributary.tls.PeerTrust;
import io.tributary.tls.TlsMaterialException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tributary's SOFAJRaft RPC factory: SOFAJRaft's gRPC transport (rpc-grpc-impl 1.4.0) with the
 * peer plane's rules. SOFAJRaft picks the {@code RaftRpcFactory} with the highest
 * {@link SPI#priority} among those named in {@code META-INF/services}; this one outranks
 * {@link GrpcRaftRpcFactory} (priority 1), so every server and client SOFAJRaft makes — each
 * group's Raft client service, the node's server, a {@code CliService} — comes from here.
 *
 * <p>What it changes, and why:
 * <ul>
 *   <li><b>Bind address.</b> rpc-grpc-impl 1.4.0 builds its server with
 *       {@code ServerBuilder.forPort}: every interface, whatever the endpoint says (fixed upstream
 *       after 1.4.0 by sofa-jraft#1213, "specified IP addresses can be listened to", unreleased).
 *       Here the server binds {@code --peer-host}, or the endpoint's own address when unconfigured.
 *   <li><b>Mutual TLS</b> (when {@code --peer-tls-*} are set). The server requires a client
 *       certificate from the cluster CA naming a node of {@code --peers}; anything else fails the
 *       handshake, before any RPC is read: a vote, an append, a {@code CliService} membership
 *       change or a forwarded write alike. The client ({@link PeerRpcClient}) presents this node's
 *       certificate and accepts only the node it meant to dial.
 *   <li><b>Routes.</b> The client dials a peer at its {@code --peer-routes} address, while SOFAJRaft
 *       keeps naming it by its {@code --peers} endpoint ({@link PeerTransport#dial}).
 * </ul>
 * The RPC server itself stays SOFAJRaft's {@link GrpcServer} (its processors, executors and
 * connection tracking); only the gRPC {@link Server} under it is built here. The client is ours:
 * rpc-grpc-impl's {@code GrpcClient} builds each channel inside a private method with
 * {@code usePlaintext()} and the endpoint as the address, so neither TLS nor a route can be added
 * to it.
 *
 * <p>What here works around rpc-grpc-impl 1.4.0, and when it can go:
 * <pre>
 *   symptom                          upstream                       canary                           removal
 *   server binds every interface     sofa-jraft#1213 (merged after  PeerPlaneAttackTest: 127.0.0.2   a release with #1213 (the
 *                                    1.4.0, not released)           refused on the Raft port         server builder stays for TLS)
 *   client: plaintext only, dials    none (no hook for the          PeerPlaneAttackTest,             a GrpcClient that takes a
 *   the endpoint itself              channel builder)               PartitionTest on jraft           channel builder or credentials
 * </pre>
 *
 * <p><b>Why a static {@link #configure}.</b> SOFAJRaft instantiates this class itself, through
 * {@code ServiceLoader}, once per JVM (its {@code RpcFactoryHelper} keeps it in a static), and
 * creates clients from inside each {@code Node} with no way to pass anything along. The transport
 * settings are a fact of the node, so {@link JRaftHost} sets them once, before it creates any
 * SOFAJRaft object; servers and clients read them when they are created. One node per JVM;
 * an unconfigured JVM gets {@link PeerTransport#PLAIN}.
 *
 * <p>Threads: {@link #configure} on the node's main thread; the factory methods on whichever
 * thread SOFAJRaft creates a server or client on (the transport is a volatile immutable value).
 */
@SPI(priority = 100)
public final class PeerRpcFactory extends GrpcRaftRpcFactory {
  private static final Logger LOG = LoggerFactory.getLogger(PeerRpcFactory.class);
  private static volatile PeerTransport transport = PeerTransport.PLAIN;

  /** Request class name → its default instance, as SOFAJRaft registers them (the superclass keeps its copy private). */
  private final Map<String, Message> parsers = new ConcurrentHashMap<>();

  /** Public, with no arguments: {@code ServiceLoader} instantiates it. */
  public PeerRpcFactory() {}

  /** Sets the transport of every server and client created from now on in this JVM. */
  public static void configure(PeerTransport t) {
    transport = Objects.requireNonNull(t, "transport");
  }

  static PeerTransport transport() {
    return transport;
  }

  @Override
  public void registerProtobufSerializer(String className, Object... args) {
    super.registerProtobufSerializer(className, args);
    parsers.put(className, (Message) args[0]);
  }

  @Override
  public RpcClient createRpcClient(ConfigHelper<RpcClient> helper) {
    RpcClient client = new PeerRpcClient(transport, parsers, getMarshallerRegistry());
    if (helper != null) {
      helper.config(client);
    }
    return client;
  }

  @Override
  public RpcServer createRpcServer(Endpoint endpoint, ConfigHelper<RpcServer> helper) {
    PeerTransport t = transport;
    int port = endpoint.getPort();
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("Raft port out of range: " + endpoint);
    }
    String host = t.bindHost() != null && !t.bindHost().isBlank() ? t.bindHost() : endpoint.getIp();
    MutableHandlerRegistry registry = new MutableHandlerRegistry();
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .fallbackHandlerRegistry(registry)
        // as rpc-grpc-impl: GrpcServer hands each request to its own executor at once
        .directExecutor()
        .maxInboundMessageSize(t.messageBytesMax());
    if (t.tls() != null) {
      b.sslContext(serverContext(t));
    }
    RpcServer server = new GrpcServer(b.build(), registry, parsers, getMarshallerRegistry());
    if (helper != null) {
      helper.config(server);
    }
    return server;
  }

  /** Server side of the peer plane's mutual TLS: a client certificate is required, from the CA, naming a node. */
  private static SslContext serverContext(PeerTransport t) {
    try {
      SslContextBuilder b = SslContextBuilder.forServer(t.tls().keys())
          .trustManager(PeerTrust.acceptingNodes(t.tls().authorities(), new HashSet<>(t.idsByEndpoint().values()),
              why -> LOG.warn("Raft port: refused a TLS client: {}", why)))
          .clientAuth(ClientAuth.REQUIRE);
      // the JDK provider: the trust manager above is called as written (no native engine of its own)
      return GrpcSslContexts.configure(b, SslProvider.JDK).build();
    } catch (SSLException | TlsMaterialException e) {
      throw new IllegalStateException("cannot build the Raft server's TLS context: " + e.getMessage(), e);
    }
  }
}
