package io.tributary.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * One grant: permissions on a scope. Written {@code perms:scope}, where {@code perms} is
 * {@code *} (every stream permission, not admin) or a comma list of {@link Permission} labels, and
 * {@code scope} is {@code *} (every bucket), {@code bucket} (all of it) or {@code bucket/prefix}
 * (streams whose name starts with {@code prefix}). Examples: {@code read:public},
 * {@code read,append:tenant-a/chat/}, {@code *:tenant-a}, {@code admin:*}. Immutable.
 *
 * @param permissions what the grant allows
 * @param bucket      the bucket, or null for every bucket
 * @param prefix      stream-name prefix within the bucket ("" = every stream)
 */
public record Grant(Set<Permission> permissions, String bucket, String prefix) {
  private static final Set<Permission> STREAM_PERMISSIONS = EnumSet.complementOf(EnumSet.of(Permission.ADMIN));

  public Grant {
    permissions = Set.copyOf(permissions);
  }

  /** Parses one grant string; {@link IllegalArgumentException} says what is wrong with it. */
  public static Grant parse(String text) {
    String t = text.trim();
    int colon = t.indexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException("grant '" + text + "': expected permissions:scope (e.g. read,append:bucket/prefix)");
    }
    Set<Permission> perms = EnumSet.noneOf(Permission.class);
    String ps = t.substring(0, colon);
    if (ps.equals("*")) {
      perms.addAll(STREAM_PERMISSIONS);
    } else {
      for (String p : ps.split(",")) {
        try {
          perms.add(Permission.valueOf(p.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("grant '" + text + "': unknown permission '" + p + "' (read, append, "
              + "create, delete, fork, snapshot, admin or *)", e);
        }
      }
    }
    String scope = t.substring(colon + 1);
    if (scope.equals("*")) {
      return new Grant(perms, null, "");
    }
    int slash = scope.indexOf('/');
    String bucket = slash < 0 ? scope : scope.substring(0, slash);
    if (!bucket.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
      throw new IllegalArgumentException("grant '" + text + "': '" + bucket + "' is not a bucket name");
    }
    return new Grant(perms, bucket, slash < 0 ? "" : scope.substring(slash + 1));
  }

  /** True when this grant allows {@code p} on every stream whose name starts with {@code namePrefix}. */
  public boolean covers(Permission p, String bucketName, String namePrefix) {
    return permissions.contains(p) && (bucket == null || bucket.equals(bucketName)) && namePrefix.startsWith(prefix);
  }

  /** True when this grant gives any permission on anything in {@code bucketName}. */
  public boolean touches(String bucketName) {
    return !permissions.isEmpty() && (bucket == null || bucket.equals(bucketName));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Permission p : Permission.values()) {
      if (permissions.contains(p)) {
        sb.append(sb.isEmpty() ? "" : ",").append(p.label());
      }
    }
    return sb + ":" + (bucket == null ? "*" : bucket + (prefix.isEmpty() ? "" : "/" + prefix));
  }
}
