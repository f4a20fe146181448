package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.service.subscription.Reply;
import io.tributary.service.subscription.Subscriptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/stream/__ds/…}: the push-subscription API (docs/subscriptions.md). Maps each path and
 * method onto one {@link Subscriptions} call and its {@link Reply} onto a JSON response; answers
 * 404 for every path when this node runs without subscriptions. Event-loop only.
 */
final class SubscriptionRoutes {
  private final HttpContext hc;
  private final Subscriptions subs;

  SubscriptionRoutes(HttpContext hc, Subscriptions subs) {
    this.hc = hc;
    this.subs = subs;
  }

  void handle(Exchange x) {
    SubscriptionPath p = SubscriptionPath.parse(x.target.ext());
    if (subs == null || p.kind() == SubscriptionPath.Kind.NONE) {
      x.error(HttpResponseStatus.NOT_FOUND, subs == null ? "subscriptions are not enabled on this node"
          : "no subscription route " + x.query.rawPath());
      return;
    }
    HttpMethod m = x.method;
    CompletableFuture<Reply> r = switch (p.kind()) {
      case JWKS -> m.equals(HttpMethod.GET) ? subs.jwks() : null;
      case SUBSCRIPTION -> m.equals(HttpMethod.PUT) ? subs.put(p.id(), x.body, WriteRoutes.origin(hc, x))
          : m.equals(HttpMethod.GET) ? subs.get(p.id(), WriteRoutes.origin(hc, x))
          : m.equals(HttpMethod.DELETE) ? subs.delete(p.id()) : null;
      case STREAMS -> m.equals(HttpMethod.POST) ? subs.addStreams(p.id(), x.body) : null;
      case STREAM -> m.equals(HttpMethod.DELETE) ? subs.removeStream(p.id(), p.streamPath()) : null;
      case CALLBACK -> m.equals(HttpMethod.POST) ? subs.ack(p.id(), bearer(x), x.body, false) : null;
      case ACK -> m.equals(HttpMethod.POST) ? subs.ack(p.id(), bearer(x), x.body, true) : null;
      case CLAIM -> m.equals(HttpMethod.POST) ? subs.claim(p.id(), x.body) : null;
      case RELEASE -> m.equals(HttpMethod.POST) ? subs.release(p.id(), bearer(x), x.body) : null;
      case NONE -> null;
    };
    if (r == null) {
      StreamRequestHandler.methodNotAllowed(x);
      return;
    }
    boolean jwks = p.kind() == SubscriptionPath.Kind.JWKS;
    x.onLoop(r, reply -> x.respond(response(reply, jwks)));
  }

  private static FullHttpResponse response(Reply reply, boolean jwks) {
    if (reply.body() == null) {
      return Responses.empty(HttpResponseStatus.valueOf(reply.status()));
    }
    byte[] b = reply.body().toString().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = Responses.full(HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(b));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, jwks ? "application/jwk-set+json" : "application/json");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, jwks ? "public, max-age=300" : "no-store");
    if (reply.status() == 429 || reply.status() == 503) {
      r.headers().setInt(HttpHeaderNames.RETRY_AFTER, Responses.LIMIT_RETRY_AFTER_SECONDS);
    }
    return r;
  }

  /** The callback token of a callback, ack or release: the bearer credential of that request. */
  private static String bearer(Exchange x) {
    String h = x.headers.get(HttpHeaderNames.AUTHORIZATION);
    return h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
  }
}
