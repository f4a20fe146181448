/**
 * The consensus engine adapter, on SOFAJRaft (chosen over Apache Ratis by measurement, see
 * docs/architecture.md):
 * {@link io.tributary.group.jraft.JRaftHost} (the node's groups on one gRPC server, submit,
 * forwarding, ReadIndex, leadership), {@link io.tributary.group.jraft.JRaftStateMachine} (binds
 * SOFAJRaft's state machine to the engine-neutral {@link io.tributary.state.ReplicaCore}) and the
 * snapshot layout SOFAJRaft ships to lagging followers. Every SOFAJRaft import stays in this
 * package. May import {@code io.tributary.group}, {@code io.tributary.state},
 * {@code io.tributary.storage}, {@code io.tributary.common}, {@code io.tributary.config} and
 * SOFAJRaft; never Netty or the http/service packages.
 */
package io.tributary.group.jraft;
