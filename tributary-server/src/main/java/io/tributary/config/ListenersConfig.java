package io.tributary.config;

/**
 * Where a node listens besides its client listener ({@code host}/{@code port}): the admin listener
 * (admin API, metrics; loopback by default) and the peer plane (Raft on {@code peer-port}, the
 * node-to-node data listener on {@code peerDataPort}). The client listener never serves either.
 *
 * @param adminHost    address the admin listener binds
 * @param adminPort    admin port, 0 = a free port
 * @param peerHost     address Raft and the peer data listener bind
 * @param peerDataPort port of the peer data listener; 0 on a single node, which runs none
 */
public record ListenersConfig(String adminHost, int adminPort, String peerHost, int peerDataPort) {}
