package io.tributary.client;

import java.time.Duration;
import java.time.Instant;

/**
 * How to create a stream: its content type (fixed for its life), an optional sliding TTL or
 * absolute expiry (not both), and whether it starts closed. Immutable; start from {@link #of}.
 */
public record CreateOptions(String contentType, Duration ttl, Instant expiresAt, boolean closed) {
  public CreateOptions {
    if (contentType == null || contentType.isBlank()) {
      throw new IllegalArgumentException("a content type is required");
    }
    if (ttl != null && expiresAt != null) {
      throw new IllegalArgumentException("a TTL or an expiry, not both");
    }
  }

  public static CreateOptions of(String contentType) {
    return new CreateOptions(contentType, null, null, false);
  }

  public CreateOptions withTtl(Duration value) {
    return new CreateOptions(contentType, value, expiresAt, closed);
  }

  public CreateOptions withExpiresAt(Instant value) {
    return new CreateOptions(contentType, ttl, value, closed);
  }

  public CreateOptions asClosed() {
    return new CreateOptions(contentType, ttl, expiresAt, true);
  }
}
