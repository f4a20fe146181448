package io.tributary.client;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bucket routes ({@code /ds}, {@code /ds/{bucket}}; docs/http-api.md "Route families"). Every
 * call is idempotent in effect and retried like {@link StreamHandle}'s. Immutable, thread-safe.
 */
public final class Buckets {
  private final Transport transport;
  private final Duration retryDeadline;

  Buckets(Transport transport, Duration retryDeadline) {
    this.transport = transport;
    this.retryDeadline = retryDeadline;
  }

  /** Creates a bucket; true if created now, false if it existed. Beyond {@code buckets-max}: NotSubmitted (429). */
  public boolean create(String bucket) throws InterruptedException {
    String p = "/ds/" + StreamHandle.encodePath(bucket);
    return call("PUT " + p, true, node -> {
      Response r = transport.send(node, transport.request(node, p).PUT(HttpRequest.BodyPublishers.noBody()).build());
      StreamHandle.expect(r, "PUT " + p, true, 200, 201);
      return r.status() == 201;
    });
  }

  /** Deletes an empty bucket (a bucket holding streams, or {@code default}: Rejected/CONFLICT). */
  public void delete(String bucket) throws InterruptedException {
    String p = "/ds/" + StreamHandle.encodePath(bucket);
    call("DELETE " + p, true, node -> {
      Response r = transport.send(node, transport.request(node, p).DELETE().build());
      StreamHandle.expect(r, "DELETE " + p, true, 204);
      return null;
    });
  }

  /** The buckets the caller's grants show. */
  public List<String> list() throws InterruptedException {
    return call("GET /ds", false, node -> {
      Response r = transport.send(node, transport.request(node, "/ds").GET().build());
      StreamHandle.expect(r, "GET /ds", false, 200);
      List<String> out = new ArrayList<>();
      for (Object o : (List<?>) ((Map<?, ?>) Json.parse(r.bodyText())).get("buckets")) {
        out.add((String) o);
      }
      return out;
    });
  }

  /** One page of up to {@code limit} (1..1000) streams after {@code after} (null: from the first). */
  public BucketListing streams(String bucket, String after, int limit) throws InterruptedException {
    String p = "/ds/" + StreamHandle.encodePath(bucket) + "?limit=" + limit
        + (after == null ? "" : "&after=" + java.net.URLEncoder.encode(after, java.nio.charset.StandardCharsets.UTF_8));
    return call("GET " + p, false, node -> {
      Response r = transport.send(node, transport.request(node, p).GET().build());
      StreamHandle.expect(r, "GET " + p, false, 200);
      Map<?, ?> m = (Map<?, ?>) Json.parse(r.bodyText());
      List<BucketListing.Entry> entries = new ArrayList<>();
      for (Object o : (List<?>) m.get("streams")) {
        Map<?, ?> e = (Map<?, ?>) o;
        entries.add(new BucketListing.Entry((String) e.get("name"), (String) e.get("contentType"),
            (String) e.get("nextOffset"), Boolean.TRUE.equals(e.get("closed"))));
      }
      return new BucketListing((String) m.get("bucket"), List.copyOf(entries), (String) m.get("next"));
    });
  }

  private <T> T call(String what, boolean write, StreamHandle.Call<T> call) throws InterruptedException {
    return StreamHandle.retrying(transport, retryDeadline, what, write, call);
  }
}
