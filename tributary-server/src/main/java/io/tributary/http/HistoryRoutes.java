package io.tributary.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.common.Offsets;
import io.tributary.service.BadRequestException;
import io.tributary.service.ReadResult;
import io.tributary.service.StreamHistory;
import io.tributary.service.WriteResult;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The history extensions of a stream: {@code $snapshot[/{offset}]}, {@code $retention/{offset}},
 * {@code $bootstrap} and {@code $attrs} (docs/http-api.md). Event-loop only.
 */
final class HistoryRoutes {
  private final HttpContext hc;

  HistoryRoutes(HttpContext hc) {
    this.hc = hc;
  }

  void handle(Exchange x) {
    String ext = x.target.ext();
    HttpMethod m = x.method;
    switch (ext) {
      case "$snapshot" -> {
        if (m.equals(HttpMethod.PUT)) {
          publish(x);
        } else if (m.equals(HttpMethod.GET)) {
          readSnapshot(x);
        } else if (m.equals(HttpMethod.DELETE)) {
          deleteSnapshot(x);
        } else {
          StreamRequestHandler.methodNotAllowed(x);
        }
      }
      case "$retention" -> {
        if (m.equals(HttpMethod.PUT)) {
          long off = offsetArg(x, true);
          x.onLoop(hc.service.history().retain(x.target.key(), off, Incarnations.expected(x)), res -> x.respond(
              res.status() == WriteResult.Status.RETENTION_SET ? ok(res) : WriteRoutes.errorFor(res)));
        } else {
          StreamRequestHandler.methodNotAllowed(x);
        }
      }
      case "$bootstrap" -> {
        if (!m.equals(HttpMethod.GET)) {
          StreamRequestHandler.methodNotAllowed(x);
          return;
        }
        if (x.param("live") != null || x.param("offset") != null) {
          throw new BadRequestException("$bootstrap takes no live or offset parameter: bootstrap, then read or tail "
              + "from its Stream-Next-Offset");
        }
        noArg(x);
        x.onLoop(hc.service.history().bootstrap(x.target.key()), b -> {
          if (b.status() != ReadResult.Status.OK || !Incarnations.refuseRead(x, b.info())) {
            x.respond(bootstrap(b));
          }
        });
      }
      case "$attrs" -> attrs(x);
      default -> throw new BadRequestException("extension " + ext + " is not a history resource");
    }
  }

  private void publish(Exchange x) {
    long off = offsetArg(x, true);
    String ct = x.headers.get(HttpHeaderNames.CONTENT_TYPE);
    if (ct == null || ct.isBlank()) {
      ct = "application/octet-stream";
    }
    String match = x.headers.get(ProtocolHeaders.STREAM_SNAPSHOT_MATCH);
    if (match != null) {
      match = match.trim();
      if (match.isEmpty()) {
        throw new BadRequestException("Stream-Snapshot-Match is empty (use a digest, or 'none' for no snapshot yet)");
      }
    }
    x.onLoop(hc.service.history().publishSnapshot(x.target.key(), off, ct.trim(), x.body, match,
        Incarnations.expected(x)), res -> x.respond(
        res.status() == WriteResult.Status.SNAPSHOT_PUBLISHED ? ok(res) : WriteRoutes.errorFor(res)));
  }

  private static FullHttpResponse ok(WriteResult res) {
    FullHttpResponse r = Responses.empty(HttpResponseStatus.NO_CONTENT);
    r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.tail()));
    WriteRoutes.historyHeaders(r, res);
    return Incarnations.set(r, res.incarnation());
  }

  private void readSnapshot(Exchange x) {
    long off = x.target.extArg() == null ? -1 : offsetArg(x, true);
    x.onLoop(hc.service.history().snapshot(x.target.key(), off, off >= 0), s -> {
      if (s.status() != ReadResult.Status.OK) {
        if (s.status() == ReadResult.Status.NOT_FOUND && s.info() != null) {
          x.respond(Responses.error(HttpResponseStatus.NOT_FOUND, s.snapshot() == null
              ? "the stream has no snapshot" : "no snapshot at this offset (the latest is at "
                  + Offsets.format(s.snapshot().offset()) + ")"));
        } else {
          x.respond(ReadRoutes.notOk(s.status()));
        }
        return;
      }
      if (Incarnations.refuseRead(x, s.info())) {
        return;
      }
      if (off < 0) {
        FullHttpResponse r = Responses.empty(HttpResponseStatus.TEMPORARY_REDIRECT);
        r.headers().set(HttpHeaderNames.LOCATION, x.query.rawPath() + "/" + Offsets.format(s.snapshot().offset()));
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        snapshotHeaders(r, s);
        x.respond(r);
        return;
      }
      String etag = "\"" + s.snapshot().digest() + "\"";
      String inm = x.headers.get(HttpHeaderNames.IF_NONE_MATCH);
      FullHttpResponse r;
      if (inm != null && inm.trim().equals(etag)) {
        r = Responses.empty(HttpResponseStatus.NOT_MODIFIED);
      } else {
        r = Responses.full(HttpResponseStatus.OK, Unpooled.wrappedBuffer(s.bytes()));
        Responses.streamContentType(r.headers(), s.snapshot().contentType());
      }
      r.headers().set(HttpHeaderNames.ETAG, etag);
      // immutable while it is the latest; a newer snapshot makes this URL 404, so revalidate
      r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      snapshotHeaders(r, s);
      x.respond(r);
    });
  }

  private static void snapshotHeaders(FullHttpResponse r, StreamHistory.SnapshotRead s) {
    Incarnations.set(r, s.info().streamId());
    r.headers().set(ProtocolHeaders.STREAM_SNAPSHOT_OFFSET, Offsets.format(s.snapshot().offset()));
    r.headers().set(ProtocolHeaders.STREAM_SNAPSHOT_DIGEST, s.snapshot().digest());
    r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(s.info().tail()));
    r.headers().set(ProtocolHeaders.STREAM_RETAINED_OFFSET, Offsets.format(s.retainedFrom()));
    if (s.info().tail() == s.snapshot().offset()) {
      r.headers().set(ProtocolHeaders.STREAM_UP_TO_DATE, "true");
    }
  }

  /** Snapshots are replaced, never deleted: 409 for the current one, 404 for any other. */
  private void deleteSnapshot(Exchange x) {
    long off = offsetArg(x, true);
    x.onLoop(hc.service.history().snapshot(x.target.key(), off, false), s -> {
      if (s.status() == ReadResult.Status.OK) {
        x.respond(Responses.error(HttpResponseStatus.CONFLICT,
            "the current snapshot cannot be deleted; publish a newer one to replace it"));
      } else if (s.info() != null) {
        x.respond(Responses.error(HttpResponseStatus.NOT_FOUND, "no snapshot at this offset"));
      } else {
        x.respond(ReadRoutes.notOk(s.status()));
      }
    });
  }

  private FullHttpResponse bootstrap(StreamHistory.Bootstrap b) {
    if (b.status() != ReadResult.Status.OK) {
      return ReadRoutes.notOk(b.status());
    }
    String boundary = boundary(b);
    StringBuilder head = new StringBuilder();
    ByteBuf body = Unpooled.buffer();
    String snapType = b.snapshot() == null ? "application/octet-stream" : b.snapshot().contentType();
    head.append("--").append(boundary).append("\r\nContent-Type: ").append(snapType).append("\r\n");
    if (b.snapshot() != null) {
      head.append(ProtocolHeaders.STREAM_SNAPSHOT_DIGEST).append(": ").append(b.snapshot().digest()).append("\r\n");
    }
    head.append("\r\n");
    body.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
    body.writeBytes(b.snapshotBytes());
    String partHead = "\r\n--" + boundary + "\r\nContent-Type: "
        + (b.info().json() ? "application/json" : b.info().contentType()) + "\r\n\r\n";
    byte[] partHeadBytes = partHead.getBytes(StandardCharsets.US_ASCII);
    for (byte[] m : b.messages()) {
      body.writeBytes(partHeadBytes);
      body.writeBytes(m);
    }
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    FullHttpResponse r = Responses.full(HttpResponseStatus.OK, body);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "multipart/mixed; boundary=" + boundary);
    Incarnations.set(r, b.info().streamId());
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    r.headers().set(ProtocolHeaders.STREAM_SNAPSHOT_OFFSET, b.snapshot() == null ? "-1"
        : Offsets.format(b.snapshot().offset()));
    r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(b.next()));
    r.headers().set(ProtocolHeaders.STREAM_RETAINED_OFFSET, Offsets.format(b.retainedFrom()));
    if (b.upToDate()) {
      r.headers().set(ProtocolHeaders.STREAM_UP_TO_DATE, "true");
    }
    if (b.closedAtEnd()) {
      r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
    }
    return r;
  }

  /** A random boundary that occurs in no part (RFC 2046 §5.1.1: it must not appear in the content). */
  private static String boundary(StreamHistory.Bootstrap b) {
    while (true) {
      String candidate = "tributary-" + Long.toHexString(ThreadLocalRandom.current().nextLong())
          + Long.toHexString(ThreadLocalRandom.current().nextLong());
      byte[] c = candidate.getBytes(StandardCharsets.US_ASCII);
      boolean clash = contains(b.snapshotBytes(), c);
      for (int i = 0; !clash && i < b.messages().size(); i++) {
        clash = contains(b.messages().get(i), c);
      }
      if (!clash) {
        return candidate;
      }
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private void attrs(Exchange x) {
    noArg(x);
    HttpMethod m = x.method;
    if (m.equals(HttpMethod.GET)) {
      x.after(hc.service.readBarrier(x.target.key()), () -> {
        var l = hc.service.reads().lookupForRead(x.target.key());
        if (l.status() != ReadResult.Status.OK) {
          x.respond(ReadRoutes.notOk(l.status()));
          return;
        }
        String json = l.info().attrs() == null ? "{}" : l.info().attrs();
        FullHttpResponse r = Responses.full(HttpResponseStatus.OK,
            Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8)));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        x.respond(r);
      });
    } else if (m.equals(HttpMethod.PUT)) {
      if (x.body.length == 0) {
        throw new BadRequestException("PUT $attrs needs a JSON object body (send {} to clear)");
      }
      x.onLoop(hc.service.history().setAttrs(x.target.key(), x.body), res -> x.respond(
          res.status() == WriteResult.Status.ATTRS_SET ? Responses.empty(HttpResponseStatus.NO_CONTENT)
              : WriteRoutes.errorFor(res)));
    } else {
      StreamRequestHandler.methodNotAllowed(x);
    }
  }

  private static void noArg(Exchange x) {
    if (x.target.extArg() != null) {
      throw new BadRequestException(x.target.ext() + " takes no path segment after it");
    }
  }

  /** The {@code /{offset}} segment after the extension, in the protocol's offset format. */
  private static long offsetArg(Exchange x, boolean required) {
    String arg = x.target.extArg();
    if (arg == null) {
      if (required) {
        throw new BadRequestException(x.method + " " + x.target.ext() + " needs an offset: " + x.target.ext()
            + "/{offset}");
      }
      return -1;
    }
    long off = Offsets.parse(arg);
    if (off == Offsets.INVALID) {
      throw new BadRequestException("malformed offset '" + arg + "' (expected the Stream-Next-Offset format)");
    }
    return off;
  }
}
