package io.tributary.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.common.Offsets;
import io.tributary.service.BadRequestException;
import io.tributary.service.Buckets;
import java.io.IOException;
import java.util.List;

/**
 * {@code GET /ds} (list buckets) and {@code PUT|GET|HEAD|DELETE /ds/{bucket}} (create, list
 * streams with {@code limit}/{@code after} paging, exists, delete when empty). Ursula's paths
 * {@code /{bucket}} and {@code GET /{bucket}/streams} are the same operations. Event-loop only.
 */
final class BucketRoutes {
  private static final int LIMIT_MAX = 1000;

  private final HttpContext hc;

  BucketRoutes(HttpContext hc) {
    this.hc = hc;
  }

  void handle(Exchange x) {
    Buckets b = hc.service.buckets();
    if (x.target.kind() == RouteFamilies.Kind.BUCKETS) {
      if (!x.method.equals(HttpMethod.GET)) {
        StreamRequestHandler.methodNotAllowed(x);
        return;
      }
      x.respond(json(HttpResponseStatus.OK, g -> {
        g.writeArrayFieldStart("buckets");
        for (String n : b.names()) {
          if (x.principal == null || x.principal.sees(n)) { // a caller sees only buckets it holds a grant on
            g.writeString(n);
          }
        }
        g.writeEndArray();
      }));
      return;
    }
    String bucket = x.target.bucket();
    if (x.target.kind() == RouteFamilies.Kind.BUCKET_STREAMS && !x.method.equals(HttpMethod.GET)
        && !x.method.equals(HttpMethod.HEAD)) {
      // Ursula reserves this stream name for the listing; a stream called "streams" lives under /ds/ only
      FullHttpResponse r = Responses.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "/" + bucket + "/"
          + RouteFamilies.URSULA_LIST + " lists the bucket's streams (GET); '" + RouteFamilies.URSULA_LIST
          + "' is not a stream name on this route family (use /ds/" + bucket + "/" + RouteFamilies.URSULA_LIST + ")");
      r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      x.respond(r);
      return;
    }
    if (x.method.equals(HttpMethod.PUT)) {
      x.onLoop(b.create(bucket), r -> x.respond(switch (r) {
        case CREATED -> Responses.empty(HttpResponseStatus.CREATED);
        case LIMIT_REACHED -> Responses.limitReached(
            "buckets-max (" + hc.config.bounds().bucketsMax() + ") buckets exist; delete one first");
        default -> Responses.empty(HttpResponseStatus.OK);
      }));
    } else if (x.method.equals(HttpMethod.DELETE)) {
      x.onLoop(b.delete(bucket), r -> x.respond(switch (r) {
        case DELETED -> Responses.empty(HttpResponseStatus.NO_CONTENT);
        case NOT_EMPTY -> Responses.error(HttpResponseStatus.CONFLICT, "bucket is not empty (or is the default bucket)");
        default -> Responses.error(HttpResponseStatus.NOT_FOUND, "bucket not found");
      }));
    } else if (x.method.equals(HttpMethod.GET) || x.method.equals(HttpMethod.HEAD)) {
      if (!b.exists(bucket)) {
        x.error(HttpResponseStatus.NOT_FOUND, "bucket not found");
        return;
      }
      if (x.method.equals(HttpMethod.HEAD)) {
        x.respond(Responses.empty(HttpResponseStatus.OK));
        return;
      }
      int limit = limit(x.param("limit"));
      Page p = page(b, bucket, x.param("after"), limit, x.principal);
      List<Buckets.Entry> shown = p.shown();
      boolean more = p.next() != null;
      x.respond(json(HttpResponseStatus.OK, g -> {
        g.writeStringField("bucket", bucket);
        g.writeArrayFieldStart("streams");
        for (Buckets.Entry e : shown) {
          g.writeStartObject();
          g.writeStringField("name", e.name());
          g.writeStringField("contentType", e.contentType());
          g.writeStringField("nextOffset", Offsets.format(e.tail()));
          g.writeBooleanField("closed", e.closed());
          g.writeEndObject();
        }
        g.writeEndArray();
        if (more) {
          g.writeStringField("next", p.next());
        } else {
          g.writeNullField("next");
        }
      }));
    } else {
      StreamRequestHandler.methodNotAllowed(x);
    }
  }

  /** One page of a listing: the streams shown, and the cursor of the next page (null at the end). */
  private record Page(List<Buckets.Entry> shown, String next) {}

  /** Pages scanned for one filtered listing before it answers with what it found and a cursor. */
  private static final int FILTERED_PAGES_MAX = 16;

  /**
   * Up to {@code limit} streams after {@code after}. A caller whose grants cover only some
   * prefixes of the bucket sees only those streams: pages are scanned (at most
   * {@link #FILTERED_PAGES_MAX}) until {@code limit} visible ones are found, and the cursor is the
   * last name scanned, so paging never skips or repeats a stream.
   */
  private static Page page(Buckets b, String bucket, String after, int limit, io.tributary.auth.Principal principal) {
    boolean all = principal == null || principal.allowsPrefix(io.tributary.auth.Permission.READ, bucket, "");
    List<Buckets.Entry> shown = new java.util.ArrayList<>();
    String cursor = after;
    for (int pages = 0; pages < (all ? 1 : FILTERED_PAGES_MAX); pages++) {
      int want = limit + 1; // one more than a page tells whether more exist
      List<Buckets.Entry> page = b.list(bucket, cursor, want);
      for (Buckets.Entry e : page) {
        if (all || principal.allows(io.tributary.auth.Permission.READ, bucket, e.name())) {
          if (shown.size() == limit) {
            return new Page(shown, shown.get(limit - 1).name()); // a visible stream beyond this page
          }
          shown.add(e);
        }
        cursor = e.name();
      }
      if (page.size() < want) {
        return new Page(shown, null); // the bucket has no more streams
      }
    }
    return new Page(shown, cursor); // scanned enough: the next page goes on after the last name looked at
  }

  static int limit(String v) {
    if (v == null) {
      return 100;
    }
    if (!v.matches("[0-9]{1,4}") || Integer.parseInt(v) < 1 || Integer.parseInt(v) > LIMIT_MAX) {
      throw new BadRequestException("limit must be 1.." + LIMIT_MAX);
    }
    return Integer.parseInt(v);
  }

  /** Writes the fields of one JSON object. */
  private interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private static FullHttpResponse json(HttpResponseStatus status, Fields fields) {
    return AdminRoutes.json(status, g -> {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    });
  }
}
