package io.tributary.group;

import java.util.concurrent.CompletableFuture;

/**
 * The answer to one submitted entry: the encoded outcomes, and a future that completes once the
 * entry is applied on this node (at once on the leader; after local apply when it was forwarded),
 * so a client that wrote through this node then reads through it sees its write.
 */
public record GroupReply(byte[] outcomes, CompletableFuture<Void> visibleLocally) {}
