package io.tributary.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.tributary.service.BadRequestException;
import java.nio.charset.StandardCharsets;

/**
 * Dispatches each complete request to its route family. One instance per connection; requests
 * are answered one at a time and in order. Reading stays on while a request is in flight (turning
 * it off and on costs two {@code epoll_ctl} calls per request, which showed in profiles): a
 * request that arrives meanwhile (pipelining) is held here, and only then is reading paused, so
 * the {@code FlowControlHandler} in front holds any further ones until the held one is dispatched.
 * At most one request is held per connection. Event-loop only.
 */
final class StreamRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private final HttpContext hc;
  private final Plane plane;
  private final WriteRoutes writes;
  private final ReadRoutes reads;
  private final BucketRoutes buckets;
  private final AdminRoutes admin;
  private final SubscriptionRoutes subscriptions;
  private final ConsoleRoutes console;
  private final InternalRoutes internal;
  private final HistoryRoutes history;
  private final BatchRoutes batches;

  StreamRequestHandler(HttpContext hc, Plane plane) {
    this.hc = hc;
    this.plane = plane;
    this.writes = new WriteRoutes(hc);
    this.reads = new ReadRoutes(hc);
    this.buckets = new BucketRoutes(hc);
    this.admin = new AdminRoutes(hc);
    this.subscriptions = new SubscriptionRoutes(hc, hc.subscriptions);
    this.console = new ConsoleRoutes(hc.consoleFiles);
    this.internal = new InternalRoutes(hc.segmentExports);
    this.history = new HistoryRoutes(hc);
    this.batches = new BatchRoutes(hc);
  }

  /** A request is being handled; its response is not complete yet. */
  private boolean busy;
  /** A pipelined request that arrived while {@link #busy} (retained), or null. */
  private FullHttpRequest held;
  /**
   * The per-principal request slot of the request being handled (client listener), or null.
   * Released when its response completes ({@link #resume}) or the connection closes, whichever
   * comes first (a parked long-poll whose client leaves never responds).
   */
  private PrincipalLimits.Slot requestSlot;

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    if (busy) {
      assert held == null : "a second pipelined request passed the flow control";
      held = req.retain();
      ctx.channel().config().setAutoRead(false);
      return;
    }
    handle(ctx, req);
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
    busy = true;
    String malformed = malformed(req);
    QueryStringDecoder q = new QueryStringDecoder(req.uri(), StandardCharsets.UTF_8, true, 1024, true);
    try {
      q.parameters();
    } catch (IllegalArgumentException e) {
      q = new QueryStringDecoder("/");
      malformed = malformed != null ? malformed : "malformed percent-encoding in the query string";
    }
    boolean keepAlive = malformed == null && HttpUtil.isKeepAlive(req);
    RouteFamilies.Target target = RouteFamilies.resolve(q.rawPath(), plane);
    byte[] body = ByteBufUtil.getBytes(req.content());
    Exchange x = new Exchange(ctx, req.method(), req.headers(), q, body, keepAlive, target, () -> resume(ctx));
    if (malformed != null) {
      x.error(HttpResponseStatus.BAD_REQUEST, malformed);
      return;
    }
    String misdirected = misdirected(req.headers().get(HttpHeaderNames.HOST));
    if (misdirected != null) {
      x.error(HttpResponseStatus.MISDIRECTED_REQUEST, misdirected);
      return;
    }
    try {
      dispatch(x);
    } catch (BadRequestException e) {
      x.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
    } catch (io.tributary.service.PayloadTooLargeException e) {
      x.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, e.getMessage());
    } catch (RuntimeException e) {
      x.fail(e);
    }
  }

  /**
   * Why a request is not acceptable HTTP/1.x, or null: the decoder failed, the version is not
   * 1.0 or 1.1 (Netty parses HTTP/0.9, 2.0 and 3.0 request lines like 1.1 ones), or an HTTP/1.1
   * request lacks exactly one Host header (RFC 9112 §3.2 requires a 400).
   */
  private static String malformed(FullHttpRequest req) {
    if (!req.decoderResult().isSuccess()) {
      return "malformed HTTP request";
    }
    HttpVersion v = req.protocolVersion();
    if (!v.equals(HttpVersion.HTTP_1_1) && !v.equals(HttpVersion.HTTP_1_0)) {
      return "unsupported HTTP version " + v.text() + " (use HTTP/1.1)";
    }
    if (v.equals(HttpVersion.HTTP_1_1) && req.headers().getAll(HttpHeaderNames.HOST).size() != 1) {
      return "an HTTP/1.1 request needs exactly one Host header";
    }
    return null;
  }

  /**
   * Why this listener does not answer for the request's {@code Host}, or null. With
   * {@code --allowed-hosts}, only those names; otherwise the admin listener answers only for IP
   * literals and {@code localhost}: a page whose DNS name was rebound to 127.0.0.1 sends its own
   * name, so it cannot reach the admin API from a browser on the node's host.
   */
  private String misdirected(String hostHeader) {
    if (hostHeader == null || plane == Plane.PEER) {
      return null; // HTTP/1.0 without Host; the peer plane is not for browsers
    }
    String host = hostName(hostHeader);
    java.util.List<String> allowed = hc.config.browser().allowedHosts();
    if (!allowed.isEmpty()) {
      return allowed.contains(host) ? null : "this node does not answer for host '" + host + "' (--allowed-hosts)";
    }
    if (plane == Plane.ADMIN && !(host.equals("localhost") || host.matches("[0-9.]+") || host.startsWith("["))) {
      return "the admin listener answers only for IP addresses and localhost, not '" + host + "'";
    }
    return null;
  }

  /** The host part of a Host header, lower case, without the port. */
  private static String hostName(String hostHeader) {
    String h = hostHeader.trim().toLowerCase(java.util.Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.lastIndexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  /**
   * Runs once the response is complete: dispatches the held pipelined request, if any, and turns
   * reading back on if it was paused. Switching auto-read on issues one read, which the
   * {@code FlowControlHandler} answers with the next pipelined request if it holds one (that one
   * is then held here). Deferred to a fresh event-loop task only when a request is held, because a
   * response can complete inside {@link #channelRead0} and the next request must not be handled
   * nested inside the previous one (a long pipeline would otherwise recurse once per request).
   */
  private void resume(ChannelHandlerContext ctx) {
    busy = false;
    releaseRequestSlot();
    if (held == null) {
      return;
    }
    ctx.executor().execute(() -> {
      FullHttpRequest next = held;
      held = null;
      if (next == null || !ctx.channel().isActive()) {
        if (next != null) {
          next.release();
        }
        return;
      }
      try {
        handle(ctx, next);
      } finally {
        next.release();
      }
      ctx.channel().config().setAutoRead(true);
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    releaseRequestSlot();
    if (held != null) {
      held.release();
      held = null;
    }
    super.channelInactive(ctx);
  }

  private void dispatch(Exchange x) {
    HttpMethod m = x.method;
    if (m.equals(HttpMethod.OPTIONS) && plane == Plane.CLIENT) { // CORS preflight: browsers reach only the client listener
      FullHttpResponse r = Responses.empty(HttpResponseStatus.NO_CONTENT);
      r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, ProtocolHeaders.ALLOW_METHODS);
      r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ProtocolHeaders.ALLOW_HEADERS);
      r.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "86400");
      x.respond(r);
      return;
    }
    if (!plane.serves(x.target)) {
      x.error(HttpResponseStatus.NOT_FOUND, "no route for " + x.query.rawPath() + " on the " + plane.label()
          + " listener");
      return;
    }
    if (hc.auth.enabled() && !authorize(x)) {
      return;
    }
    if (plane == Plane.CLIENT && x.target.kind() != RouteFamilies.Kind.SYSTEM) {
      // health probes stay outside: a caller at its maximum must still see the node as healthy
      String who = PrincipalLimits.caller(x);
      requestSlot = hc.principalLimits.acquire(PrincipalLimits.Kind.REQUESTS, who);
      if (requestSlot == null) {
        x.respond(hc.principalLimits.refusal(PrincipalLimits.Kind.REQUESTS, who));
        return;
      }
    }
    switch (x.target.kind()) {
      case INVALID -> x.error(HttpResponseStatus.BAD_REQUEST, x.target.error());
      case SYSTEM -> system(x);
      case STREAM -> stream(x);
      case BUCKET, BUCKETS, BUCKET_STREAMS -> buckets.handle(x);
      case ADMIN -> admin.handle(x);
      case CONSOLE -> console.handle(x);
      case INTERNAL -> internal.handle(x);
      case SUBSCRIPTIONS -> subscriptions.handle(x);
      case NONE -> x.error(HttpResponseStatus.NOT_FOUND, x.target.error() != null ? x.target.error()
          : "no route for " + x.query.rawPath());
    }
  }

  /**
   * The one authorization check (docs/security.md): what the route needs ({@link Access}), who
   * asks (the bearer token, or the anonymous grants), and a 401 or 403 with the reason before any
   * handler runs. True when the request may go on; {@code x.principal} is then set.
   */
  private boolean authorize(Exchange x) {
    Access.Need need = Access.need(x.target, x.method, x.headers);
    if (need instanceof Access.Need.Open || need instanceof Access.Need.Peer) {
      return true; // health and 400/404 answers need no grant; the peer plane is only on the peer listener
    }
    io.tributary.auth.AuthResult who = hc.auth.authenticate(x.headers.get(HttpHeaderNames.AUTHORIZATION));
    io.tributary.auth.Principal p;
    switch (who) {
      case io.tributary.auth.AuthResult.Rejected r -> {
        x.respond(unauthorized(r.reason(), true));
        return false;
      }
      case io.tributary.auth.AuthResult.Anonymous a -> p = a.principal();
      case io.tributary.auth.AuthResult.Authenticated a -> p = a.principal();
    }
    String refusal = Access.refusal(need, p);
    if (refusal == null) {
      x.principal = p;
      x.authenticated = who instanceof io.tributary.auth.AuthResult.Authenticated;
      return true;
    }
    x.respond(who instanceof io.tributary.auth.AuthResult.Anonymous ? unauthorized("authentication required", false)
        : Responses.error(HttpResponseStatus.FORBIDDEN, "forbidden: " + refusal));
    return false;
  }

  private void releaseRequestSlot() {
    if (requestSlot != null) {
      requestSlot.release();
      requestSlot = null;
    }
  }

  private static FullHttpResponse unauthorized(String reason, boolean badToken) {
    FullHttpResponse r = Responses.error(HttpResponseStatus.UNAUTHORIZED, reason);
    // RFC 6750 §3: the challenge, and for a refused token why (quotes would end the parameter)
    r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"tributary\"" + (badToken
        ? ", error=\"invalid_token\", error_description=\"" + reason.replace('"', '\'').replace('\\', '/') + "\"" : ""));
    return r;
  }

  private void stream(Exchange x) {
    String ext = x.target.ext();
    if (ext != null) {
      if (ext.equals("$append-batch") || ext.equals("$transaction")) {
        batches.handle(x);
      } else {
        history.handle(x);
      }
      return;
    }
    HttpMethod m = x.method;
    if (m.equals(HttpMethod.GET)) {
      reads.get(x);
    } else if (m.equals(HttpMethod.HEAD)) {
      reads.head(x);
    } else if (m.equals(HttpMethod.PUT)) {
      writes.create(x);
    } else if (m.equals(HttpMethod.POST)) {
      writes.append(x);
    } else if (m.equals(HttpMethod.DELETE)) {
      writes.delete(x);
    } else {
      methodNotAllowed(x);
    }
  }

  private void system(Exchange x) {
    if (!x.method.equals(HttpMethod.GET) && !x.method.equals(HttpMethod.HEAD)) {
      methodNotAllowed(x);
      return;
    }
    String page = x.target.ext();
    if (page.equals("healthz")) {
      x.respond(text(HttpResponseStatus.OK, "ok\n"));
    } else if (page.equals("readyz")) {
      java.util.List<String> why = hc.notReady.get();
      x.respond(why.isEmpty() ? text(HttpResponseStatus.OK, "ready\n")
          : Responses.unavailable("not ready: " + String.join("; ", why), 1));
    } else {
      FullHttpResponse r = text(HttpResponseStatus.OK, hc.metrics.scrape());
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
      x.respond(r);
    }
  }

  private static FullHttpResponse text(HttpResponseStatus s, String body) {
    FullHttpResponse r = Responses.full(s, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return r;
  }

  static void methodNotAllowed(Exchange x) {
    FullHttpResponse r = Responses.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method " + x.method + " not allowed here");
    r.headers().set(HttpHeaderNames.ALLOW, ProtocolHeaders.ALLOW_METHODS);
    x.respond(r);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    SseSession s = SseChannels.of(ctx.channel());
    if (s != null && ctx.channel().isWritable()) {
      s.onWritable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // I/O errors on a client connection (reset, broken pipe) end that connection only.
    ctx.close();
  }
}
