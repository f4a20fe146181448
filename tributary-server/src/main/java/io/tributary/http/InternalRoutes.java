package io.tributary.http;

import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.tributary.service.SegmentExports;

/**
 * The node-to-node route, sent only once every record in it was verified (off the loop; a damaged
 * one is a 500 naming it): {@code GET /internal/segment/{group}?from=<pos>&to=<pos>} streams this
 * replica's segment bytes of that global range to a replica repairing a damaged record in it; 404
 * when the range is not held here (dropped after tiering), 409 when it reaches past this replica's
 * end. (Snapshots travel over SOFAJRaft's own file transfer on the Raft port.)
 * Event-loop only; file bytes go out as zero-copy file regions, which the transport sends without
 * blocking the loop on reads.
 */
final class InternalRoutes {
  private static final String SEGMENT = "/internal/segment/";
  private final SegmentExports segments;

  InternalRoutes(SegmentExports segments) {
    this.segments = segments;
  }

  void handle(Exchange x) {
    String path = x.query.rawPath();
    if (x.method.equals(HttpMethod.GET) && path.matches(SEGMENT + "[0-9]{1,3}")) {
      long from = position(x, "from");
      long to = position(x, "to");
      if (from < 0 || to < 0) {
        x.error(HttpResponseStatus.BAD_REQUEST, "from and to must be segment positions (decimal, >= 0)");
        return;
      }
      x.onLoop(segments.export(Integer.parseInt(path.substring(SEGMENT.length())), from, to), o -> send(x, o));
    } else {
      x.error(HttpResponseStatus.NOT_FOUND, "no internal route " + path);
    }
  }

  /** A query parameter as a position, or -1 when missing or not a non-negative decimal. */
  private static long position(Exchange x, String name) {
    String v = x.param(name);
    if (v == null || !v.matches("[0-9]{1,18}")) {
      return -1;
    }
    return Long.parseLong(v);
  }

  private static void send(Exchange x, SegmentExports.Outcome o) {
    switch (o) {
      case SegmentExports.NotHeld n -> x.error(HttpResponseStatus.NOT_FOUND, n.reason());
      case SegmentExports.Beyond b -> x.error(HttpResponseStatus.CONFLICT, b.reason());
      case SegmentExports.Verified v -> {
        streamHead(x, v.totalBytes());
        for (SegmentExports.Part p : v.parts()) {
          writeFile(x, p.file(), p.offset(), p.length());
        }
        streamEnd(x);
      }
    }
  }

  /**
   * Writes a file range: zero-copy ({@code sendfile}) on a plain connection; under TLS, whose
   * records must pass through the JVM, as 64 KiB chunks the listener's {@code ChunkedWriteHandler}
   * sends as the socket takes them.
   */
  private static void writeFile(Exchange x, java.nio.file.Path file, long offset, long length) {
    if (x.ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null) {
      x.ctx.write(new DefaultFileRegion(file.toFile(), offset, length));
      return;
    }
    try {
      x.ctx.write(new io.netty.handler.stream.ChunkedFile(new java.io.RandomAccessFile(file.toFile(), "r"), offset, length,
          64 * 1024));
    } catch (java.io.IOException e) {
      // the response head is out: the peer sees a short body and retries the download
      x.ctx.close();
    }
  }

  private static void streamHead(Exchange x, long contentLength) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    Responses.addCommonHeaders(head.headers());
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
    x.ctx.write(head);
  }

  private static void streamEnd(Exchange x) {
    x.ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> x.finished());
  }
}
