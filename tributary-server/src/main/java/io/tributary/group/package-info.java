/**
 * Placement and replication: the node's Apache Ratis server hosting G groups
 * ({@link io.tributary.group.RaftHost}), stream-to-group placement, and the per-group
 * {@link io.tributary.group.AppendBatcher} that coalesces commands into Raft entries; and the
 * node's background tasks over the groups' segments: tiering ({@link io.tributary.group.ColdTier}),
 * reclamation on a node that does not tier ({@link io.tributary.group.Reclaim}), the scrub and
 * segment repair.
 * May import {@code io.tributary.state}, {@code io.tributary.storage}, {@code io.tributary.common},
 * {@code io.tributary.config}, {@code io.tributary.tls} (the peer plane's client certificate) and
 * Ratis; never Netty or the http/service packages.
 */
package io.tributary.group;
