package io.tributary.service;

import io.tributary.common.StreamKey;

/**
 * A PUT. {@code contentType} null means "not given" (default octet-stream, or the fork source's);
 * {@code ttlSeconds} -1 and {@code expiresAt} null mean "no expiry given"; {@code incarnation} -1
 * means no {@code Stream-Incarnation} precondition.
 */
public record CreateRequest(StreamKey key, String contentType, long ttlSeconds, String expiresAt, long expiresAtMillis,
    boolean closed, byte[] body, Fork fork, long incarnation) {

  /** {@code offset} -1 means "source tail"; {@code subOffset} 0 means none. */
  public record Fork(StreamKey source, long offset, long subOffset) {}
}
