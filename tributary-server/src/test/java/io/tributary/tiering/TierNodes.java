package io.tributary.tiering;

import io.tributary.testing.S3ProxyServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Settings and probes shared by the tiering tests: a node tiering to s3proxy, and its /metrics. */
final class TierNodes {
  private TierNodes() {}

  /** A node that uploads every append at once, drops tiered segments at once and reads tiered ranges from S3. */
  static Map<String, String> aggressive(S3ProxyServer s3, String bucket, String prefix) {
    Map<String, String> m = new HashMap<>();
    m.put("tiering", "on");
    m.put("object-store", "s3");
    m.put("s3-endpoint", s3.endpoint());
    m.put("s3-allow-http", "true"); // s3proxy serves plain http
    m.put("s3-path-style", "true");
    m.put("s3-bucket", bucket);
    m.put("s3-prefix", prefix);
    m.put("s3-region", "us-east-1");
    m.put("s3-access-key", S3ProxyServer.ACCESS_KEY);
    m.put("s3-secret-key", S3ProxyServer.SECRET_KEY);
    m.put("s3-connect-timeout-ms", "500");
    m.put("s3-read-timeout-ms", "2000");
    m.put("s3-call-timeout-ms", "4000");
    m.put("s3-attempts-max", "1");
    m.put("tier-bytes-min", "1");
    m.put("tier-age-ms", "0");
    m.put("tier-interval-ms", "20");
    m.put("tier-chunk-bytes-max", "65536");
    m.put("hot-bytes-max", "0");
    m.put("cold-reads-prefer", "true");
    m.put("segment-bytes-max", "1048576");
    m.put("cold-block-bytes", "65536");
    m.put("groups", "2");
    // segments are dropped only below the latest snapshot's end: snapshot often
    m.put("snapshot-interval-entries", "100");
    return m;
  }

  /** Sum of a metric over its label sets in a node's /metrics, or 0 when absent. */
  static double metric(HttpClient http, String baseUrl, String name) throws Exception {
    String text = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(2));
    }
    return sum;
  }

  /** One request to {@code baseUrl + path} with a binary body (or none). */
  static HttpResponse<byte[]> send(HttpClient http, String baseUrl, String method, String path, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
    if (body != null) {
      b.header("Content-Type", "application/octet-stream");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A stream's whole content, by catch-up reads from -1 until Stream-Up-To-Date (every read must be a 200). */
  static byte[] readAll(HttpClient http, String baseUrl, String path) throws Exception {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    String off = "-1";
    for (int i = 0; i < 1000; i++) {
      HttpResponse<byte[]> r = send(http, baseUrl, "GET", path + "?offset=" + off, null);
      if (r.statusCode() != 200) {
        throw new AssertionError("read of " + path + " at " + off + ": " + r.statusCode() + " " + new String(r.body()));
      }
      out.write(r.body());
      if (r.headers().firstValue("Stream-Up-To-Date").isPresent()) {
        return out.toByteArray();
      }
      off = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
    }
    throw new AssertionError("read of " + path + " did not finish");
  }
}
