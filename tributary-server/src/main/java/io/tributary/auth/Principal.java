package io.tributary.auth;

import java.util.ArrayList;
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

  /**
   * The stream-name prefixes of {@code bucket} this principal may read; contains "" when it may
   * read the whole bucket.
   */
  public List<String> readablePrefixes(String bucket) {
    List<String> out = new ArrayList<>();
    for (Grant g : grants) {
      if (g.permissions().contains(Permission.READ) && (g.bucket() == null || g.bucket().equals(bucket))) {
        out.add(g.prefix());
      }
    }
    return out;
  }

  /** True when some readable prefix of {@code bucket} starts {@code stream}. */
  public boolean reads(String bucket, String stream) {
    return allows(Permission.READ, bucket, stream);
  }
}
