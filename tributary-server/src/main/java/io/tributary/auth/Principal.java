package io.tributary.auth;

import java.util.List;

/**
 * An authenticated caller (or the anonymous one): a name for logs and its grants. Immutable.
 *
 * @param name   the API key's name, the JWT's {@code sub}, or {@code anonymous}
 * @param grants what it may do
 */
public record Principal(String name, List<Grant> grants) {
  public Principal {
    grants = List.copyOf(grants);
  }

  /** May do {@code p} on stream {@code stream} of {@code bucket}. */
  public boolean allows(Permission p, String bucket, String stream) {
    return allowsPrefix(p, bucket, stream);
  }

  /** May do {@code p} on every stream of {@code bucket} whose name starts with {@code prefix}. */
  public boolean allowsPrefix(Permission p, String bucket, String prefix) {
    for (Grant g : grants) {
      if (g.covers(p, bucket, prefix)) {
        return true;
      }
    }
    return false;
  }

  /** May see that {@code bucket} exists (holds any grant on it). */
  public boolean sees(String bucket) {
    for (Grant g : grants) {
      if (g.touches(bucket)) {
        return true;
      }
    }
    return false;
  }

  /** Holds {@code admin} on every bucket ({@code admin:*}): the admin listener. */
  public boolean adminEverywhere() {
    for (Grant g : grants) {
      if (g.bucket() == null && g.prefix().isEmpty() && g.permissions().contains(Permission.ADMIN)) {
        return true;
      }
    }
    return false;
  }
}
