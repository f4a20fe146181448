package io.tributary.auth;

import java.util.Locale;

/**
 * What a route needs (docs/security.md has the route table). {@code ADMIN} covers bucket creation
 * and deletion within its scope, and the admin listener with scope {@code *}.
 */
public enum Permission {
  READ, APPEND, CREATE, DELETE, FORK, SNAPSHOT, ADMIN;

  /** The name in grant strings. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
