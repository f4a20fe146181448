package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.tributary.service.SnapshotExports;

/**
 * Node-to-node routes: {@code GET /internal/snapshot/{group}} streams the group's latest snapshot
 * (metadata + segments, zero-copy file regions) to a replica installing it, once every record in it
 * was verified (off the loop); a damaged one is a 500 naming it. Event-loop only; the file regions
 * are sent by the transport without blocking the loop on reads.
 */
final class InternalRoutes {
  private final SnapshotExports exports;

  InternalRoutes(SnapshotExports exports) {
    this.exports = exports;
  }

  void handle(Exchange x) {
    String path = x.query.rawPath();
    if (!x.method.equals(HttpMethod.GET) || !path.matches("/internal/snapshot/[0-9]{1,3}")) {
      x.error(HttpResponseStatus.NOT_FOUND, "no internal route " + path);
      return;
    }
    x.onLoop(exports.export(Integer.parseInt(path.substring("/internal/snapshot/".length()))), s -> send(x, s));
  }

  private static void send(Exchange x, SnapshotExports.Stream s) {
    if (s == null) {
      x.respond(Responses.unavailable("no snapshot yet", 1));
      return;
    }
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    Responses.addCommonHeaders(head.headers());
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, s.totalBytes());
    x.ctx.write(head);
    x.ctx.write(Unpooled.wrappedBuffer(s.header()));
    for (SnapshotExports.Part p : s.parts()) {
      if (p.prefix().length > 0) {
        x.ctx.write(Unpooled.wrappedBuffer(p.prefix()));
      }
      if (p.length() > 0) {
        x.ctx.write(new DefaultFileRegion(p.file().toFile(), p.offset(), p.length()));
      }
    }
    x.ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> x.finished());
  }
}
