package io.tributary.http;

/**
 * A path under {@code /v1/stream/__ds/} (docs/subscriptions.md): the JWKS, a subscription, one of
 * its actions, or one of its explicit streams. {@code kind} NONE when the path names nothing.
 * Immutable.
 */
record SubscriptionPath(Kind kind, String id, String streamPath) {
  /** What the path addresses. */
  enum Kind { JWKS, SUBSCRIPTION, STREAMS, STREAM, CALLBACK, ACK, CLAIM, RELEASE, NONE }

  /** Subscription ids: what fits in a path segment without escaping, bounded. */
  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9._~-]{1,256}");

  static SubscriptionPath parse(String rest) {
    if (rest.equals("jwks.json")) {
      return new SubscriptionPath(Kind.JWKS, null, null);
    }
    if (!rest.startsWith("subscriptions/")) {
      return none();
    }
    String[] p = rest.substring("subscriptions/".length()).split("/", 3);
    if (!ID.matcher(p[0]).matches()) {
      return none();
    }
    if (p.length == 1) {
      return new SubscriptionPath(Kind.SUBSCRIPTION, p[0], null);
    }
    Kind k = switch (p[1]) {
      case "streams" -> p.length == 3 ? Kind.STREAM : Kind.STREAMS;
      case "callback" -> Kind.CALLBACK;
      case "ack" -> Kind.ACK;
      case "claim" -> Kind.CLAIM;
      case "release" -> Kind.RELEASE;
      default -> Kind.NONE;
    };
    if (k == Kind.NONE || (k != Kind.STREAM && p.length == 3) || (k == Kind.STREAM && p[2].isEmpty())) {
      return none();
    }
    return new SubscriptionPath(k, p[0], k == Kind.STREAM ? p[2] : null);
  }

  private static SubscriptionPath none() {
    return new SubscriptionPath(Kind.NONE, null, null);
  }
}
