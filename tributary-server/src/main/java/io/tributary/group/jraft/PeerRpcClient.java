package io.tributary.group.jraft;

import com.alipay.sofa.jraft.ReplicatorGroup;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.error.InvokeTimeoutException;
import com.alipay.sofa.jraft.error.RemotingException;
import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.InvokeContext;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcUtils;
import com.alipay.sofa.jraft.rpc.impl.MarshallerRegistry;
import com.alipay.sofa.jraft.util.Endpoint;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.tributary.tls.PeerTrust;
import io.tributary.tls.TlsMaterialException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SOFAJRaft's RPC client over gRPC, with the peer plane's routes and mutual TLS
 * ({@link PeerRpcFactory} says why it replaces rpc-grpc-impl's {@code GrpcClient}). It speaks the
 * same wire protocol as that client: one unary method {@code <request class>/_call} per request
 * type, protobuf-marshalled, which is what SOFAJRaft's {@code GrpcServer} registers.
 *
 * <p>One gRPC channel per peer endpoint (SOFAJRaft's name of the peer), dialled at
 * {@link PeerTransport#dial}; with TLS each channel accepts only the certificate of the node that
 * endpoint belongs to, so a route can never make this node talk Raft with another node under the
 * wrong name. An endpoint not in {@code --peers} cannot be dialled with TLS on.
 *
 * <p>Connection health, as SOFAJRaft expects it of a client: {@link #checkConnection} reports a
 * channel usable unless it is failing; a channel found failing twice in a row is dropped (the next
 * call builds a fresh one), the first time its reconnect back-off is cut short. When a channel
 * becomes ready the replicator group is told, so a replicator waiting for that peer resumes.
 *
 * <p>Threads: called from SOFAJRaft's threads and {@link JRaftHost}'s; state is in concurrent maps.
 * Callbacks run on the callback's executor, else on the gRPC (Netty) thread that completed the
 * call — SOFAJRaft's callbacks are short and hand work to their own executors.
 */
final class PeerRpcClient implements RpcClient {
  private static final Logger LOG = LoggerFactory.getLogger(PeerRpcClient.class);
  /** The method name SOFAJRaft's {@code GrpcServer} registers under each request type (package-private there). */
  private static final String METHOD = "_call";
  /** Checks in a row that find a channel failing before it is dropped. */
  private static final int FAILED_CHECKS_BEFORE_DROP = 2;
  /** How long closing a channel waits for calls in flight before cancelling them. */
  private static final long CLOSE_WAIT_MILLIS = 100;

  private final PeerTransport transport;
  private final Map<String, Message> parsers;
  private final MarshallerRegistry marshallers;
  private final Map<Endpoint, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Map<Endpoint, Integer> failedChecks = new ConcurrentHashMap<>();
  private final Map<String, MethodDescriptor<Message, Message>> methods = new ConcurrentHashMap<>();
  private volatile ReplicatorGroup replicators;

  PeerRpcClient(PeerTransport transport, Map<String, Message> parsers, MarshallerRegistry marshallers) {
    this.transport = transport;
    this.parsers = parsers;
    this.marshallers = marshallers;
  }

  @Override
  public boolean init(RpcOptions opts) {
    return true;
  }

  @Override
  public void shutdown() {
    for (Endpoint e : channels.keySet()) {
      closeConnection(e);
    }
    failedChecks.clear();
  }

  @Override
  public boolean checkConnection(Endpoint endpoint) {
    return checkConnection(endpoint, false);
  }

  @Override
  public boolean checkConnection(Endpoint endpoint, boolean createIfAbsent) {
    ManagedChannel ch;
    try {
      ch = createIfAbsent ? channel(endpoint) : channels.get(endpoint);
    } catch (RuntimeException e) {
      LOG.warn("no channel to {}: {}", endpoint, e.getMessage());
      return false;
    }
    return ch != null && usable(endpoint, ch);
  }

  @Override
  public void closeConnection(Endpoint endpoint) {
    ManagedChannel ch = channels.remove(endpoint);
    if (ch != null) {
      close(ch);
    }
  }

  @Override
  public void registerConnectEventListener(ReplicatorGroup replicatorGroup) {
    this.replicators = replicatorGroup;
  }

  @Override
  public Object invokeSync(Endpoint endpoint, Object request, InvokeContext ctx, long timeoutMs)
      throws InterruptedException, RemotingException {
    CompletableFuture<Object> answer = new CompletableFuture<>();
    invokeAsync(endpoint, request, ctx, (result, err) -> {
      if (err != null) {
        answer.completeExceptionally(err);
      } else {
        answer.complete(result);
      }
    }, timeoutMs);
    try {
      return answer.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      answer.cancel(false);
      throw new InvokeTimeoutException("no answer from " + endpoint + " within " + timeoutMs + " ms", e);
    } catch (ExecutionException e) {
      throw new RemotingException(e.getCause());
    }
  }

  @Override
  public void invokeAsync(Endpoint endpoint, Object request, InvokeContext ctx, InvokeCallback callback, long timeoutMs) {
    Executor executor = callback.executor() != null ? callback.executor() : Runnable::run;
    ManagedChannel ch;
    try {
      ch = channel(endpoint);
    } catch (RuntimeException e) {
      executor.execute(() -> callback.complete(null, new RemotingException("no channel to " + endpoint + ": "
          + e.getMessage(), e)));
      return;
    }
    if (!usable(endpoint, ch)) {
      executor.execute(() -> callback.complete(null, new RemotingException("Fail to connect: " + endpoint)));
      return;
    }
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
    ClientCalls.asyncUnaryCall(ch.newCall(method(request), options), (Message) request, new StreamObserver<Message>() {
      @Override
      public void onNext(Message value) {
        executor.execute(() -> callback.complete(value, null));
      }

      @Override
      public void onError(Throwable t) {
        executor.execute(() -> callback.complete(null, t));
      }

      @Override
      public void onCompleted() {
        // a unary call's answer came with onNext
      }
    });
  }

  private MethodDescriptor<Message, Message> method(Object request) {
    return methods.computeIfAbsent(request.getClass().getName(), type -> {
      Message prototype = parsers.get(type);
      if (prototype == null) {
        throw new IllegalArgumentException("no protobuf serializer registered for " + type);
      }
      return MethodDescriptor.<Message, Message>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(type, METHOD))
          .setRequestMarshaller(ProtoUtils.marshaller(prototype))
          .setResponseMarshaller(ProtoUtils.marshaller(marshallers.findResponseInstanceByRequest(type)))
          .build();
    });
  }

  private ManagedChannel channel(Endpoint endpoint) {
    return channels.computeIfAbsent(endpoint, this::open);
  }

  private ManagedChannel open(Endpoint endpoint) {
    InetSocketAddress to = transport.dial(endpoint);
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(to.getHostString(), to.getPort())
        .directExecutor()
        .maxInboundMessageSize(transport.messageBytesMax());
    if (transport.tls() == null) {
      b.usePlaintext();
    } else {
      b.sslContext(clientContext(endpoint));
    }
    ManagedChannel ch = b.build();
    LOG.info("channel to {} (dialled at {}:{}, {})", endpoint, to.getHostString(), to.getPort(), transport.tls() == null ? "plaintext" : "mutual TLS");
    watch(endpoint, ch, ConnectivityState.IDLE);
    return ch;
  }

  /** This node's certificate, and trust in exactly the node that {@code endpoint} names. */
  private SslContext clientContext(Endpoint endpoint) {
    String id = transport.idsByEndpoint().get(endpoint);
    if (id == null) {
      throw new IllegalStateException(endpoint + " is not a --peers endpoint: with peer TLS only peers are dialled");
    }
    try {
      SslContextBuilder b = SslContextBuilder.forClient().keyManager(transport.tls().keys())
          .trustManager(PeerTrust.expectingNode(transport.tls().authorities(), id));
      return GrpcSslContexts.configure(b, SslProvider.JDK).build();
    } catch (SSLException | TlsMaterialException e) {
      throw new IllegalStateException("cannot build the TLS context for " + id + ": " + e.getMessage(), e);
    }
  }

  /** Follows the channel's state: tells the replicators once it is ready, until it shuts down. */
  private void watch(Endpoint endpoint, ManagedChannel ch, ConnectivityState from) {
    ch.notifyWhenStateChanged(from, () -> {
      ConnectivityState now = ch.getState(false);
      if (now == ConnectivityState.SHUTDOWN) {
        return;
      }
      if (now == ConnectivityState.READY) {
        failedChecks.remove(endpoint);
        ReplicatorGroup rg = replicators;
        if (rg != null) {
          // off the Netty thread: checkReplicator takes the replicator's lock
          RpcUtils.runInThread(() -> rg.checkReplicator(new PeerId(endpoint, 0), true));
        }
      } else if (now == ConnectivityState.TRANSIENT_FAILURE) {
        LOG.debug("channel to {} is failing", endpoint);
      }
      watch(endpoint, ch, now);
    });
  }

  /** False once the channel failed {@link #FAILED_CHECKS_BEFORE_DROP} checks in a row; it is then dropped. */
  private boolean usable(Endpoint endpoint, ManagedChannel ch) {
    ConnectivityState st = ch.getState(false);
    if (st != ConnectivityState.TRANSIENT_FAILURE && st != ConnectivityState.SHUTDOWN) {
      return true;
    }
    int failed = failedChecks.merge(endpoint, 1, Integer::sum);
    if (failed < FAILED_CHECKS_BEFORE_DROP) {
      ch.resetConnectBackoff(); // try again now rather than after the back-off
      return true;
    }
    failedChecks.remove(endpoint);
    if (channels.remove(endpoint, ch)) {
      LOG.warn("channel to {} failed {} checks in a row: dropped, the next call opens a new one", endpoint, failed);
      close(ch);
    }
    return false;
  }

  private static void close(ManagedChannel ch) {
    ch.shutdown();
    try {
      if (!ch.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
        ch.shutdownNow();
      }
    } catch (InterruptedException e) {
      ch.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
