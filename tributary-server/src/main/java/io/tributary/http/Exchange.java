package io.tributary.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.tributary.common.UnavailableException;
import io.tributary.service.BadRequestException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request in flight on a connection. A connection handles one request at a time (reading is
 * paused until the response is complete), so responses never overtake each other. Methods run on
 * the channel's event loop; {@link #onLoop} brings future completions back to it.
 */
final class Exchange {
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

  final ChannelHandlerContext ctx;
  final HttpMethod method;
  final HttpHeaders headers;
  final QueryStringDecoder query;
  final byte[] body;
  final boolean keepAlive;
  final RouteFamilies.Target target;
  private final Runnable onDone;
  private boolean done;
  /** Who asked, once authorized; null when authentication is off (then every request may do everything). */
  io.tributary.auth.Principal principal;
  /** True when {@link #principal} came from a verified token (not the anonymous grants). */
  boolean authenticated;

  Exchange(ChannelHandlerContext ctx, HttpMethod method, HttpHeaders headers, QueryStringDecoder query, byte[] body,
      boolean keepAlive, RouteFamilies.Target target, Runnable onDone) {
    this.ctx = ctx;
    this.method = method;
    this.headers = headers;
    this.query = query;
    this.body = body;
    this.keepAlive = keepAlive;
    this.target = target;
    this.onDone = onDone;
  }

  String param(String name) {
    List<String> v = query.parameters().get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  List<String> params(String name) {
    return query.parameters().get(name);
  }

  /** Sends the final response of this exchange. */
  void respond(FullHttpResponse r) {
    respond(r, keepAlive);
  }

  void respond(FullHttpResponse r, boolean keep) {
    if (done) {
      r.release();
      return;
    }
    done = true;
    Responses.send(ctx, r, keep).addListener(f -> onDone.run());
  }

  /** Marks the exchange finished by other means (an SSE stream that ended). */
  void finished() {
    if (!done) {
      done = true;
      onDone.run();
    }
  }

  boolean isDone() {
    return done;
  }

  void error(HttpResponseStatus status, String reason) {
    respond(Responses.error(status, reason));
  }

  /** Maps a failure to a response: 400 for bad input, 413 over a bound, 429 over a quota, 503 for unavailability, 507 for low disk, 500/503 naming a damaged range, else a logged 500. */
  void fail(Throwable t) {
    Throwable c = io.tributary.common.Failures.cause(t);
    if (c instanceof BadRequestException b) {
      error(HttpResponseStatus.BAD_REQUEST, b.getMessage());
    } else if (c instanceof io.tributary.service.PayloadTooLargeException p) {
      error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, p.getMessage());
    } else if (c instanceof UnavailableException u) {
      FullHttpResponse r = Responses.unavailable(u.getMessage(), u.retryAfterSeconds());
      if (u.notSubmitted() != null) {
        r.headers().set(ProtocolHeaders.TRIBUTARY_UNAVAILABLE, u.notSubmitted());
      }
      respond(r);
    } else if (c instanceof io.tributary.service.DamagedRangeException d) {
      // logged where it was found, with the range; never a generic "internal error"
      respond(d.repairing() ? Responses.unavailable(d.getMessage(), d.retryAfterSeconds())
          : Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, d.getMessage()));
    } else if (c instanceof io.tributary.service.QuotaExceededException q) {
      FullHttpResponse r = Responses.error(HttpResponseStatus.TOO_MANY_REQUESTS, q.getMessage());
      r.headers().setInt(io.netty.handler.codec.http.HttpHeaderNames.RETRY_AFTER, Math.max(1, q.retryAfterSeconds()));
      r.headers().set(ProtocolHeaders.TRIBUTARY_LIMIT, q.limit());
      respond(r);
    } else if (c instanceof io.tributary.common.InsufficientStorageException s) {
      respond(Responses.insufficientStorage(s.getMessage(), s.retryAfterSeconds()));
    } else {
      LOG.error("internal error on {} {}", method, query.uri(), c);
      respond(Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error"), false);
    }
  }

  /** Runs {@code then} once {@code f} completes: inline if it already has, else on this connection's event loop. */
  void after(CompletableFuture<Void> f, Runnable then) {
    if (f.isDone() && !f.isCompletedExceptionally()) {
      then.run();
      return;
    }
    onLoop(f, v -> then.run());
  }

  /** Runs {@code then} on this connection's event loop when {@code f} completes; failures go to {@link #fail}. */
  <T> void onLoop(CompletableFuture<T> f, Consumer<T> then) {
    f.whenComplete((v, t) -> ctx.executor().execute(() -> {
      if (t != null) {
        fail(t);
        return;
      }
      try {
        then.accept(v);
      } catch (RuntimeException e) {
        fail(e);
      }
    }));
  }
}
