package io.tributary.group.jraft;

import com.alipay.sofa.jraft.util.Endpoint;
import io.tributary.config.ListenersConfig;
import io.tributary.config.TributaryConfig;
import io.tributary.tls.PeerTrust;
import io.tributary.tls.TlsMaterialException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;

/**
 * How this node's SOFAJRaft RPC (Raft, snapshot transfer, forwarded writes) reaches the network:
 * the address its server binds, the address it dials for each peer, and the peer plane's mutual
 * TLS. Read by {@link PeerRpcFactory} whenever SOFAJRaft asks it for a server or a client.
 *
 * <p>A peer's identity is its {@code --peers} endpoint (SOFAJRaft's {@code PeerId}, the same on
 * every node); {@link #dial} only changes where the bytes go. Immutable.
 *
 * @param bindHost        address the server binds ({@code --peer-host}), or null: the endpoint's own address
 * @param routes          --peers endpoint → address dialled instead ({@code --peer-routes})
 * @param idsByEndpoint   --peers endpoint → node id: the name a peer's certificate must carry
 * @param tls             mutual TLS material, or null for plaintext
 * @param messageBytesMax largest gRPC message accepted (one whole entry, or a snapshot chunk)
 */
public record PeerTransport(String bindHost, Map<Endpoint, InetSocketAddress> routes, Map<Endpoint, String> idsByEndpoint,
    Tls tls, int messageBytesMax) {
  /** gRPC's own default inbound limit. */
  static final int DEFAULT_MESSAGE_BYTES_MAX = 4 * 1024 * 1024;

  /**
   * What an unconfigured JVM uses (a CLI or a test's client): SOFAJRaft's defaults except that a
   * server binds only its endpoint's address. Plaintext, every peer dialled at its endpoint.
   */
  public static final PeerTransport PLAIN = new PeerTransport(null, Map.of(), Map.of(), null, DEFAULT_MESSAGE_BYTES_MAX);

  public PeerTransport {
    routes = Map.copyOf(routes);
    idsByEndpoint = Map.copyOf(idsByEndpoint);
  }

  /**
   * This node's key pair and the cluster CA (the node ids a certificate may name are the values of
   * {@link #idsByEndpoint}).
   *
   * @param keys        this node's certificate and key
   * @param authorities the cluster CA's certificates
   */
  public record Tls(KeyManagerFactory keys, List<X509Certificate> authorities) {
    public Tls {
      authorities = List.copyOf(authorities);
    }
  }

  /** The node's transport from its settings: reads and checks the peer TLS files when they are set. */
  public static PeerTransport of(TributaryConfig config, int messageBytesMax) throws IOException, TlsMaterialException {
    Map<Endpoint, InetSocketAddress> routes = new HashMap<>();
    Map<Endpoint, String> ids = new HashMap<>();
    for (TributaryConfig.Peer p : config.peers()) {
      Endpoint e = new Endpoint(p.host(), p.peerPort());
      ids.put(e, p.id());
      ListenersConfig.PeerRoute r = config.listeners().peerRoutes().get(p.id());
      if (r != null) {
        routes.put(e, InetSocketAddress.createUnresolved(r.host(), r.port()));
      }
    }
    Tls tls = null;
    if (config.tls().peerEnabled()) {
      tls = new Tls(PeerTrust.keyManagers(config.tls().peerCertFile(), config.tls().peerKeyFile()),
          PeerTrust.authorities(config.tls().peerCaFile()));
    }
    return new PeerTransport(config.listeners().peerHost(), routes, ids, tls, messageBytesMax);
  }

  /** The address to dial for the peer named by {@code endpoint}. */
  InetSocketAddress dial(Endpoint endpoint) {
    InetSocketAddress r = routes.get(endpoint);
    return r != null ? r : InetSocketAddress.createUnresolved(endpoint.getIp(), endpoint.getPort());
  }

  /** A short description for the log: never key material. */
  String describe() {
    return (bindHost == null ? "bind endpoint address" : "bind " + bindHost) + ", "
        + (tls == null ? "plaintext" : "mutual TLS (cluster CA, certificate names checked against --peers)")
        + (routes.isEmpty() ? "" : ", routes " + routes);
  }
}
