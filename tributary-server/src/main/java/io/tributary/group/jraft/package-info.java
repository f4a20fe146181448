/**
 * The consensus engine adapter, on SOFAJRaft (chosen over Apache Ratis by measurement, see
 * docs/architecture.md):
 * {@link io.tributary.group.jraft.JRaftHost} (the node's groups on one gRPC server, submit,
 * forwarding, ReadIndex, leadership), {@link io.tributary.group.jraft.JRaftStateMachine} (binds
 * SOFAJRaft's state machine to the engine-neutral {@link io.tributary.state.ReplicaCore}), the
 * snapshot layout SOFAJRaft ships to lagging followers, and the peer transport:
 * {@link io.tributary.group.jraft.PeerRpcFactory} (SOFAJRaft's RPC factory, chosen by its SPI:
 * binds {@code --peer-host}, mutual TLS between nodes named in {@code --peers}) with
 * {@link io.tributary.group.jraft.PeerRpcClient} (dials through {@code --peer-routes}) and
 * {@link io.tributary.group.jraft.PeerTransport} (those settings, set once per JVM before SOFAJRaft
 * creates anything). Every SOFAJRaft import stays in this package; so does SOFAJRaft's gRPC
 * ({@code io.grpc}, with the Netty shaded inside grpc-netty-shaded, never {@code io.netty}).
 * May import {@code io.tributary.group}, {@code io.tributary.state}, {@code io.tributary.storage},
 * {@code io.tributary.common}, {@code io.tributary.config}, {@code io.tributary.tls} and SOFAJRaft;
 * never Netty or the http/service packages.
 */
package io.tributary.group.jraft;
