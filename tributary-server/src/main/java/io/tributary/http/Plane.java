package io.tributary.http;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which listener a request arrived on, and so which route kinds it may reach (docs/security.md).
 * The client listener serves streams, buckets and health; the admin listener the admin API, the
 * web console, metrics and health; the peer data listener only the node-to-node transfer routes. A route of
 * another plane is answered 404 as if it did not exist, so the client listener gives away nothing
 * about the internal routes.
 */
public enum Plane {
  CLIENT(EnumSet.of(RouteFamilies.Kind.STREAM, RouteFamilies.Kind.BUCKET, RouteFamilies.Kind.BUCKETS,
      RouteFamilies.Kind.BUCKET_STREAMS, RouteFamilies.Kind.SUBSCRIPTIONS)),
  ADMIN(EnumSet.of(RouteFamilies.Kind.ADMIN, RouteFamilies.Kind.CONSOLE)),
  PEER(EnumSet.of(RouteFamilies.Kind.INTERNAL));

  /** Route kinds of this plane besides health ({@code /healthz}, {@code /readyz}), which every plane answers. */
  private final Set<RouteFamilies.Kind> kinds;

  Plane(Set<RouteFamilies.Kind> kinds) {
    this.kinds = kinds;
  }

  /** True when a request for {@code target} on this plane is routed (INVALID and NONE always are: 400/404). */
  boolean serves(RouteFamilies.Target target) {
    return switch (target.kind()) {
      case INVALID, NONE -> true;
      case SYSTEM -> !target.ext().equals("metrics") || this == ADMIN;
      default -> kinds.contains(target.kind());
    };
  }

  /** Lower-case name for logs and the listening line. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
