/**
 * Replicated state: the per-group {@link io.tributary.state.ReplicaCore} (bound to the engine's
 * state machine in {@code group.jraft}), the commands it applies and their results, published read views of streams, and the
 * watch registry that wakes live readers after apply. Apply is deterministic: time comes in the
 * command batch, stamped by the leader. May import {@code io.tributary.storage}, {@code io.tributary.common},
 * {@code io.tributary.cold}; never an engine, Netty or the http/service/group packages.
 */
package io.tributary.state;
