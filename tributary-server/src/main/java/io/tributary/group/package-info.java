/**
 * Placement and replication: what the product needs from consensus ({@link
 * io.tributary.group.Replication}, {@link io.tributary.group.EngineHost}; the SOFAJRaft adapter is
 * in {@code group.jraft}), stream-to-group placement, and the per-group
 * {@link io.tributary.group.AppendBatcher} that coalesces commands into Raft entries; and the
 * node's background tasks over the groups' segments: tiering ({@link io.tributary.group.ColdTier}),
 * reclamation on a node that does not tier ({@link io.tributary.group.Reclaim}), the scrub and
 * segment repair.
 * May import {@code io.tributary.state}, {@code io.tributary.storage}, {@code io.tributary.common},
 * {@code io.tributary.config} and {@code io.tributary.tls} (the peer plane's client certificate);
 * never an engine's classes, Netty or the http/service packages.
 */
package io.tributary.group;
