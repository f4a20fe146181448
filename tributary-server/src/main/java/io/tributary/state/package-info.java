/**
 * Replicated state: the per-group {@link io.tributary.state.StreamStateMachine} (a Ratis state
 * machine), the commands it applies and their results, published read views of streams, and the
 * watch registry that wakes live readers after apply. Apply is deterministic: time comes in the
 * command batch, stamped by the leader. May import {@code io.tributary.storage}, {@code io.tributary.common},
 * {@code io.tributary.cold} and Ratis; never Netty or the http/service/group packages.
 */
package io.tributary.state;
