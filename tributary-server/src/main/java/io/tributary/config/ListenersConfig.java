package io.tributary.config;

import java.util.Map;

/**
 * Where a node listens besides its client listener ({@code host}/{@code port}): the admin listener
 * (admin API, metrics; loopback by default) and the peer plane (Raft on {@code peer-port}, the
 * node-to-node data listener on {@code peerDataPort}), and where it dials its peers' Raft ports.
 * The client listener never serves either.
 *
 * @param adminHost    address the admin listener binds
 * @param adminPort    admin port, 0 = a free port
 * @param peerHost     address Raft and the peer data listener bind
 * @param peerDataPort port of the peer data listener; 0 on a single node, which runs none
 * @param peerRoutes   peer id → the address this node dials for that peer's Raft port instead of its
 *                     {@code --peers} address ({@code --peer-routes}); a peer not in it is dialled directly
 */
public record ListenersConfig(String adminHost, int adminPort, String peerHost, int peerDataPort,
    Map<String, PeerRoute> peerRoutes) {
  public ListenersConfig {
    peerRoutes = Map.copyOf(peerRoutes);
  }

  /** An address to dial. */
  public record PeerRoute(String host, int port) {}
}
