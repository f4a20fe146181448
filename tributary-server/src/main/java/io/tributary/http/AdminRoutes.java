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
import java.util.List;

/**
 * The admin API (docs/http-api.md, "Admin API"): {@code GET /admin/cluster} (peers, groups and
 * why this node is not ready) and {@code GET /admin/groups}: JSON inspection of this node's view;
 * the bucket and stream routes the console reads are {@link AdminStreamRoutes}. Every route is
 * read-only (GET). Event-loop only.
 */
final class AdminRoutes {
  private static final JsonFactory JSON = new JsonFactory();
  private final ClusterStatus status;
  private final java.util.function.Supplier<List<String>> notReady;
  private final AdminStreamRoutes streams;

  AdminRoutes(HttpContext hc) {
    this.status = hc.clusterStatus;
    this.notReady = hc.notReady;
    this.streams = new AdminStreamRoutes(hc);
  }

  void handle(Exchange x) {
    String route = x.target.ext();
    boolean known = route.equals("cluster") || route.equals("groups") || AdminStreamRoutes.ROUTES.contains(route);
    if (!known) {
      x.error(HttpResponseStatus.NOT_FOUND, "no admin route /admin/" + route);
      return;
    }
    if (!x.method.equals(HttpMethod.GET)) {
      FullHttpResponse r = Responses.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "the admin API is read-only (GET)");
      r.headers().set(HttpHeaderNames.ALLOW, "GET");
      x.respond(r);
      return;
    }
    switch (route) {
      case "cluster" -> x.respond(json(this::cluster));
      case "groups" -> x.respond(json(this::groups));
      default -> streams.handle(x, route);
    }
  }

  private void cluster(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("node", status.nodeId());
    List<String> why = notReady.get(); // the list /readyz answers with
    g.writeBooleanField("ready", why.isEmpty());
    g.writeArrayFieldStart("notReady");
    for (String reason : why) {
      g.writeString(reason);
    }
    g.writeEndArray();
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

  /** Writes one JSON value. */
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  /** A 200 with a JSON body, never cached. */
  static FullHttpResponse json(Body body) {
    return json(HttpResponseStatus.OK, body);
  }

  static FullHttpResponse json(HttpResponseStatus status, Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    FullHttpResponse r = Responses.full(status, Unpooled.wrappedBuffer(out.toByteArray()));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return r;
  }
}
