package io.tributary.state;

import io.tributary.common.StreamKey;
import io.tributary.storage.StreamIndex;

/**
 * An immutable, safely published picture of one stream as of some applied index. Readers on any
 * thread use it to answer HEAD/GET without touching the apply thread's mutable state. The data
 * below {@link #tail} never changes, so a view stays valid for reads of its range forever
 * (until the stream's storage is reclaimed). Bytes below {@link #retainedFrom} are no longer served.
 * {@link #cold} says which own bytes are (also) in the object store; it only grows for an
 * incarnation, so a reader may use a later view's cold index with an earlier view. {@link #index}
 * locates the own records from {@code index.start()} on; records below it are in the object store
 * (at or below this view's cold end) and this replica deleted their segments, so their bytes and
 * their starts come from the chunk objects.
 */
public record StreamView(
    long streamId,
    int group,
    StreamKey key,
    String contentType,
    boolean json,
    long ttlSeconds,
    String expiresAt,
    long expiresAtMillis,
    long lastAccessMillis,
    boolean closed,
    long tail,
    boolean softDeleted,
    int pinCount,
    Fork fork,
    StreamIndex.View index,
    long retainedFrom,
    AppSnapshot snapshot,
    String attrs,
    ColdIndex.View cold) {

  /** Where a fork's inherited bytes come from: {@code [0, forkPoint)} of the source. */
  public record Fork(StreamKey sourceKey, int sourceGroup, long sourceStreamId, long forkPoint) {}

  /** First byte position held by this stream's own records (0, or the fork point). */
  public long ownStart() {
    return fork == null ? 0 : fork.forkPoint();
  }

  /** True once the stream's TTL or absolute expiry has passed at {@code nowMillis}. */
  public boolean expiredAt(long nowMillis, long lastAccessOverrideMillis) {
    if (expiresAtMillis >= 0 && nowMillis >= expiresAtMillis) {
      return true;
    }
    long access = Math.max(lastAccessMillis, lastAccessOverrideMillis);
    return ttlSeconds >= 0 && nowMillis >= access + ttlSeconds * 1000;
  }
}
