package io.tributary.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.tributary.auth.Permission;
import io.tributary.auth.Principal;
import io.tributary.common.StreamKey;

/**
 * The route table of authorization: what every route needs (docs/security.md lists it). One
 * choke point, {@link StreamRequestHandler}, asks {@link #need} for every request after routing
 * (aliases are resolved by then: every route family and every percent-encoding of a path lands on
 * the same {@link RouteFamilies.Target}) and before any handler runs, so a refused request has no
 * effect. Stateless.
 */
final class Access {
  private Access() {}

  /** What one request needs. */
  sealed interface Need {
    /** Health, and requests that can only fail (400/404): no grant. */
    record Open() implements Need {}

    /** {@code permission} on one stream. */
    record OnStream(Permission permission, StreamKey key) implements Need {}

    /** {@code permission} on every stream of {@code bucket} starting with {@code prefix} ({@code $transaction}). */
    record OnPrefix(Permission permission, String bucket, String prefix) implements Need {}

    /** Admin on one bucket (create, delete it). */
    record OnBucket(String bucket) implements Need {}

    /** A listing: any grant on {@code bucket} (null: any grant at all); the handler shows only what the caller may see. */
    record Listing(String bucket) implements Need {}

    /** Creating {@code target} as a fork of {@code source}: create and fork on the target, read on the source, one bucket. */
    record Fork(StreamKey target, StreamKey source) implements Need {}

    /** The admin listener: admin on every bucket ({@code admin:*}). */
    record NodeAdmin() implements Need {}

    /** The peer data listener: node-to-node, not reachable with a client token. */
    record Peer() implements Need {}
  }

  static Need need(RouteFamilies.Target t, HttpMethod m, HttpHeaders h) {
    return switch (t.kind()) {
      // the console's files hold no data: a browser loads them without a token, then sends one to /admin/
      case INVALID, NONE, CONSOLE -> new Need.Open();
      case SUBSCRIPTIONS -> subscriptions(SubscriptionPath.parse(t.ext()), m);
      case SYSTEM -> t.ext().equals("metrics") ? new Need.NodeAdmin() : new Need.Open();
      case ADMIN -> new Need.NodeAdmin();
      case INTERNAL -> new Need.Peer();
      case BUCKETS -> new Need.Listing(null);
      case BUCKET_STREAMS -> new Need.Listing(t.bucket());
      case BUCKET -> m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) ? new Need.OnBucket(t.bucket())
          : new Need.Listing(t.bucket());
      case STREAM -> stream(t, m, h);
    };
  }

  /**
   * Subscriptions watch the stream root (the default bucket): reading one, or claiming a pull-wake,
   * needs read on every stream there; creating, changing or deleting one needs admin on that
   * bucket. Callbacks, acks and releases carry the wake's callback token instead of a grant (the
   * handler verifies it), and the JWKS is public.
   */
  private static Need subscriptions(SubscriptionPath p, HttpMethod m) {
    boolean read = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
    return switch (p.kind()) {
      case JWKS, NONE, CALLBACK, ACK, RELEASE -> new Need.Open();
      case CLAIM -> new Need.OnPrefix(Permission.READ, StreamKey.DEFAULT_BUCKET, "");
      case SUBSCRIPTION -> read ? new Need.OnPrefix(Permission.READ, StreamKey.DEFAULT_BUCKET, "")
          : new Need.OnBucket(StreamKey.DEFAULT_BUCKET);
      case STREAMS, STREAM -> new Need.OnBucket(StreamKey.DEFAULT_BUCKET);
    };
  }

  private static Need stream(RouteFamilies.Target t, HttpMethod m, HttpHeaders h) {
    StreamKey key = t.key();
    boolean read = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
    String ext = t.ext();
    if (ext == null) {
      if (m.equals(HttpMethod.PUT)) {
        String from = h.get(ProtocolHeaders.STREAM_FORKED_FROM);
        if (from != null) {
          RouteFamilies.Target src = WriteRoutes.forkSource(from);
          // a source that is not a stream path gets its 400 from the handler; creating nothing needs create
          return src.kind() == RouteFamilies.Kind.STREAM ? new Need.Fork(key, src.key())
              : new Need.OnStream(Permission.CREATE, key);
        }
        return new Need.OnStream(Permission.CREATE, key);
      }
      if (m.equals(HttpMethod.POST)) {
        return new Need.OnStream(Permission.APPEND, key);
      }
      if (m.equals(HttpMethod.DELETE)) {
        return new Need.OnStream(Permission.DELETE, key);
      }
      return new Need.OnStream(Permission.READ, key); // GET, HEAD; any other method is a 405 after the check
    }
    return switch (ext) {
      case "$append-batch" -> new Need.OnStream(Permission.APPEND, key);
      case "$transaction" -> new Need.OnPrefix(Permission.APPEND, key.bucket(), key.stream() + "/");
      case "$snapshot", "$retention" -> new Need.OnStream(read ? Permission.READ : Permission.SNAPSHOT, key);
      case "$attrs" -> new Need.OnStream(read ? Permission.READ : Permission.CREATE, key);
      default -> new Need.OnStream(Permission.READ, key); // $bootstrap
    };
  }

  /** Null when {@code p} may do what {@code need} asks; otherwise why not (for the 403). */
  static String refusal(Need need, Principal p) {
    return switch (need) {
      case Need.Open o -> null;
      case Need.Peer q -> "node-to-node route";
      case Need.NodeAdmin a -> p.adminEverywhere() ? null : p.name() + " lacks admin:*";
      case Need.OnBucket b -> p.allowsPrefix(Permission.ADMIN, b.bucket(), "") ? null
          : p.name() + " lacks admin on bucket " + b.bucket();
      case Need.Listing l -> (l.bucket() == null ? !p.grants().isEmpty() : p.sees(l.bucket())) ? null
          : p.name() + " has no grant on " + (l.bucket() == null ? "any bucket" : "bucket " + l.bucket());
      case Need.OnStream s -> p.allows(s.permission(), s.key().bucket(), s.key().stream()) ? null
          : p.name() + " lacks " + s.permission().label() + " on " + s.key().bucket() + "/" + s.key().stream();
      case Need.OnPrefix s -> p.allowsPrefix(s.permission(), s.bucket(), s.prefix()) ? null
          : p.name() + " lacks " + s.permission().label() + " on every stream under " + s.bucket() + "/" + s.prefix();
      case Need.Fork f -> fork(f, p);
    };
  }

  private static String fork(Need.Fork f, Principal p) {
    if (!f.source().bucket().equals(f.target().bucket())) {
      return "a fork stays in its bucket: " + f.target().bucket() + "/" + f.target().stream() + " cannot fork "
          + f.source().bucket() + "/" + f.source().stream();
    }
    for (Permission need : new Permission[] {Permission.CREATE, Permission.FORK}) {
      if (!p.allows(need, f.target().bucket(), f.target().stream())) {
        return p.name() + " lacks " + need.label() + " on " + f.target().bucket() + "/" + f.target().stream();
      }
    }
    return p.allows(Permission.READ, f.source().bucket(), f.source().stream()) ? null
        : p.name() + " lacks read on the fork's source " + f.source().bucket() + "/" + f.source().stream();
  }
}
