package io.tributary.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.service.ClusterStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** {@code GET /admin/cluster} and {@code GET /admin/groups}: JSON inspection of this node's view. Event-loop only. */
final class AdminRoutes {
  private static final JsonFactory JSON = new JsonFactory();
  private final ClusterStatus status;

  AdminRoutes(ClusterStatus status) {
    this.status = status;
  }

  void handle(Exchange x) {
    String path = x.query.rawPath();
    if (!path.equals("/admin/cluster") && !path.equals("/admin/groups")) {
      x.error(HttpResponseStatus.NOT_FOUND, "no admin route " + path);
      return;
    }
    if (!x.method.equals(HttpMethod.GET)) {
      StreamRequestHandler.methodNotAllowed(x);
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      if (path.equals("/admin/cluster")) {
        g.writeStartObject();
        g.writeStringField("node", status.nodeId());
        g.writeArrayFieldStart("peers");
        for (ClusterStatus.Peer p : status.peers()) {
          g.writeStartObject();
          g.writeStringField("id", p.id());
          g.writeStringField("address", p.address());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeFieldName("groups");
        groups(g);
        g.writeEndObject();
      } else if (path.equals("/admin/groups")) {
        groups(g);
      } else {
        x.error(HttpResponseStatus.NOT_FOUND, "no admin route " + path);
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    FullHttpResponse r = Responses.full(HttpResponseStatus.OK, Unpooled.wrappedBuffer(out.toByteArray()));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    x.respond(r);
  }

  private void groups(JsonGenerator g) throws IOException {
    g.writeStartArray();
    for (ClusterStatus.Group s : status.groups()) {
      g.writeStartObject();
      g.writeNumberField("group", s.group());
      g.writeStringField("role", s.role());
      g.writeStringField("leader", s.leader());
      g.writeNumberField("term", s.term());
      g.writeNumberField("commitIndex", s.commitIndex());
      g.writeNumberField("appliedIndex", s.appliedIndex());
      g.writeNumberField("lag", s.lag());
      g.writeNumberField("pendingAppends", s.pendingAppends());
      g.writeNumberField("streams", s.streams());
      g.writeEndObject();
    }
    g.writeEndArray();
  }
}
