package io.tributary.http;

import io.tributary.common.StreamKey;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/**
 * Maps request paths of all route families onto one {@link StreamKey} (docs/http-api.md):
 * <pre>
 *   /v1/stream/{path}          → (default, path)     Durable Streams flat namespace
 *   /ds/{bucket}/{stream...}   → (bucket, stream)    primary, bucket-scoped
 *   /streams/{id}              → (default, id)       legacy
 *   /{bucket}/{stream}         → (bucket, stream)    Ursula-compatible: one segment (or @key/name)
 *   /ds/{bucket}, /{bucket}    → bucket operations
 *   /{bucket}/streams          → the bucket's stream list (Ursula)
 * </pre>
 * On the Ursula family a stream name is one path segment, as in Ursula, so the segments after it
 * can be Ursula's extension paths ({@code snapshot[/{offset}]}, {@code retention/{offset}},
 * {@code bootstrap}), mapped onto the {@code $} extensions. Any other deeper path is a 404 with a
 * reason, never a stream whose name happens to contain {@code /snapshot/…}. Names with {@code /}
 * stay reachable through {@code /ds/} and {@code /v1/stream/}. Stateless and thread-safe.
 */
final class RouteFamilies {
  private RouteFamilies() {}

  /** First path segments that are never bucket names. */
  static final Set<String> RESERVED = Set.of("v1", "ds", "streams", "healthz", "readyz", "metrics", "admin", "internal", "__ds");

  /** Stream extensions: a path segment starting with '$' after the stream name (docs/http-api.md). */
  static final Set<String> EXTENSIONS = Set.of("$snapshot", "$retention", "$bootstrap", "$attrs", "$append-batch",
      "$transaction");

  /**
   * What a path addresses. For a stream, {@code ext} names an extension resource ({@code $snapshot}
   * …) or is null for the stream itself; {@code extArg} is the segment after it (an offset) or null.
   */
  record Target(Kind kind, StreamKey key, String bucket, String error, String ext, String extArg) {
    Target(Kind kind, StreamKey key, String bucket, String error) {
      this(kind, key, bucket, error, null, null);
    }
  }

  /**
   * {@code BUCKET_STREAMS}: Ursula's {@code GET /{bucket}/streams}. {@code NONE}: no route (404);
   * {@code error} says why when the path looks like a stream path that is not one.
   */
  enum Kind { STREAM, BUCKET, BUCKETS, BUCKET_STREAMS, SYSTEM, ADMIN, CONSOLE, INTERNAL, SUBSCRIPTIONS, INVALID, NONE }

  /** Ursula's extension path segments (after the one-segment stream name) and the extension each maps to. */
  static final Map<String, String> URSULA_EXTENSIONS = Map.of("snapshot", "$snapshot", "retention", "$retention",
      "bootstrap", "$bootstrap");

  /** The stream name Ursula reserves on {@code /{bucket}/…}: {@code GET /{bucket}/streams} lists the bucket. */
  static final String URSULA_LIST = "streams";

  /**
   * {@link #resolve}, except that on the admin listener {@code /} and {@code /console[/...]} are the
   * web console's pages ({@code CONSOLE}, {@code ext} the file asked for, empty for the page itself).
   * Only there: on the client listener {@code /console} stays a bucket name, as it always was.
   */
  static Target resolve(String rawPath, Plane plane) {
    if (plane == Plane.ADMIN) {
      String path;
      try {
        path = decode(rawPath);
      } catch (IllegalArgumentException e) {
        return invalid("malformed percent-encoding in path");
      }
      if (path.equals("/") || path.equals("/console") || path.startsWith("/console/")) {
        String file = path.length() <= "/console/".length() ? "" : path.substring("/console/".length());
        return new Target(Kind.CONSOLE, null, null, null, path.equals("/console/") || !file.isEmpty() ? file : null,
            null);
      }
    }
    return resolve(rawPath);
  }

  static Target resolve(String rawPath) {
    String path;
    try {
      path = decode(rawPath);
    } catch (IllegalArgumentException e) {
      return invalid("malformed percent-encoding in path");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return invalid("control character in path");
      }
    }
    if (path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics")) {
      // the decoded name: handlers never compare the raw path (/%72eadyz is /readyz)
      return new Target(Kind.SYSTEM, null, null, null, path.substring(1), null);
    }
    if (path.startsWith("/internal/")) {
      return new Target(Kind.INTERNAL, null, null, null);
    }
    if (path.startsWith("/admin/")) {
      // ext: the admin route's name, decoded (/admin/%63luster is /admin/cluster)
      return new Target(Kind.ADMIN, null, null, null, path.substring("/admin/".length()), null);
    }
    if (path.startsWith("/v1/stream/")) {
      String name = path.substring("/v1/stream/".length());
      if (name.equals("__ds") || name.startsWith("__ds/")) {
        // ext carries the decoded rest (subscriptions/{id}[/…], jwks.json): SubscriptionPath parses it
        return new Target(Kind.SUBSCRIPTIONS, null, null, null, name.equals("__ds") ? "" : name.substring(5), null);
      }
      return stream(StreamKey.DEFAULT_BUCKET, name);
    }
    if (path.startsWith("/streams/")) {
      return stream(StreamKey.DEFAULT_BUCKET, path.substring("/streams/".length()));
    }
    if (path.equals("/ds") || path.equals("/ds/")) {
      return new Target(Kind.BUCKETS, null, null, null);
    }
    if (path.startsWith("/ds/")) {
      return bucketOrStream(path.substring("/ds/".length()));
    }
    if (path.length() > 1) {
      String rest = path.substring(1);
      int slash = rest.indexOf('/');
      String first = slash < 0 ? rest : rest.substring(0, slash);
      if (!RESERVED.contains(first)) {
        return ursula(rest);
      }
    }
    return new Target(Kind.NONE, null, null, null);
  }

  /**
   * {@code rest} is the path after its leading '/': {@code {bucket}[/]} (bucket operations),
   * {@code {bucket}/streams} (list), or {@code {bucket}/{stream}[/{extension path}]}, where
   * {@code stream} is one segment, or two when the first is an affinity key ({@code @key/name}).
   */
  static Target ursula(String rest) {
    int slash = rest.indexOf('/');
    if (slash < 0 || slash == rest.length() - 1) {
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      String err = bucketError(bucket);
      // a lone segment that cannot be a bucket is just an unknown path (/HEALTHZ, /.env): 404, not 400
      return err != null ? new Target(Kind.NONE, null, null, "no route: '" + bucket + "' is not a bucket name (" + err
          + ")") : new Target(Kind.BUCKET, null, bucket, null);
    }
    String bucket = rest.substring(0, slash);
    String err = bucketError(bucket);
    if (err != null) {
      return invalid(err);
    }
    String[] segs = rest.substring(slash + 1).split("/", -1);
    if (java.util.Arrays.asList(segs).contains("")) {
      return invalid("empty segment in stream path");
    }
    int nameSegs = segs[0].startsWith("@") && segs.length > 1 && !segs[1].startsWith("$") ? 2 : 1;
    if (segs.length == 1 && segs[0].equals(URSULA_LIST)) {
      return new Target(Kind.BUCKET_STREAMS, null, bucket, null);
    }
    if (segs.length == nameSegs || segs[nameSegs].startsWith("$")) {
      return stream(bucket, rest.substring(slash + 1)); // the stream itself, or a '$' extension as on every family
    }
    String name = nameSegs == 1 ? segs[0] : segs[0] + "/" + segs[1];
    String ext = URSULA_EXTENSIONS.get(segs[nameSegs]);
    int argSegs = segs.length - nameSegs - 1;
    if (ext == null || argSegs > 1) {
      return new Target(Kind.NONE, null, bucket, "no route: on /{bucket}/{stream} a stream name is one path "
          + "segment, followed only by snapshot[/{offset}], retention/{offset} or bootstrap (names containing '/' "
          + "are reachable as /ds/" + bucket + "/{name})");
    }
    String arg = argSegs == 1 ? segs[segs.length - 1] : null;
    if (arg != null && arg.isEmpty()) {
      return invalid("empty segment after " + segs[nameSegs]);
    }
    Target t = stream(bucket, name);
    return t.kind() != Kind.STREAM ? t : new Target(Kind.STREAM, t.key(), bucket, null, ext, arg);
  }

  private static Target bucketOrStream(String rest) {
    int slash = rest.indexOf('/');
    if (slash < 0 || slash == rest.length() - 1) {
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      String err = bucketError(bucket);
      return err != null ? invalid(err) : new Target(Kind.BUCKET, null, bucket, null);
    }
    String bucket = rest.substring(0, slash);
    String err = bucketError(bucket);
    if (err != null) {
      return invalid(err);
    }
    return stream(bucket, rest.substring(slash + 1));
  }

  private static Target stream(String bucket, String path) {
    String name = path;
    String ext = null;
    String arg = null;
    int d = path.startsWith("$") ? 0 : path.indexOf("/$");
    if (d >= 0) {
      // a '$' segment is never part of a stream name, so "a/b/$snapshot/…" is unambiguous
      name = path.substring(0, d);
      String rest = path.substring(d == 0 ? 0 : d + 1);
      int slash = rest.indexOf('/');
      ext = slash < 0 ? rest : rest.substring(0, slash);
      arg = slash < 0 ? null : rest.substring(slash + 1);
      if (!EXTENSIONS.contains(ext)) {
        return invalid("unknown stream extension '" + ext + "' (path segments starting with '$' name extensions: "
            + String.join(", ", new java.util.TreeSet<>(EXTENSIONS)) + ")");
      }
      if (arg != null && (arg.isEmpty() || arg.contains("/"))) {
        return invalid("extension " + ext + " takes at most one path segment after it");
      }
    }
    if (name.isEmpty()) {
      return invalid("missing stream name");
    }
    if (name.length() > 1024) {
      return invalid("stream name longer than 1024 characters");
    }
    if (name.startsWith("/") || name.contains("//")) {
      return invalid("empty segment in stream name");
    }
    return new Target(Kind.STREAM, new StreamKey(bucket, name), bucket, null, ext, arg);
  }

  /** Null when valid: 1-63 of [a-z0-9._-], starting with a letter or digit, not reserved. */
  static String bucketError(String bucket) {
    if (bucket.isEmpty() || bucket.length() > 63) {
      return "bucket names have 1 to 63 characters";
    }
    for (int i = 0; i < bucket.length(); i++) {
      char c = bucket.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || ((c == '-' || c == '_' || c == '.') && i > 0);
      if (!ok) {
        return "bucket names use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit";
      }
    }
    if (RESERVED.contains(bucket)) {
      return "bucket name '" + bucket + "' is reserved";
    }
    return null;
  }

  private static Target invalid(String error) {
    return new Target(Kind.INVALID, null, null, error);
  }

  /** Percent-decodes a path strictly (no '+' translation); rejects truncated escapes and bad UTF-8. */
  static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    byte[] out = new byte[s.length()];
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new IllegalArgumentException("truncated escape");
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("bad escape");
        }
        out[n++] = (byte) ((hi << 4) | lo);
        i += 2;
      } else if (c < 0x80) {
        out[n++] = (byte) c;
      } else {
        byte[] enc = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (n + enc.length > out.length) {
          out = java.util.Arrays.copyOf(out, out.length * 2 + enc.length);
        }
        System.arraycopy(enc, 0, out, n, enc.length);
        n += enc.length;
      }
    }
    var dec = StandardCharsets.UTF_8.newDecoder();
    try {
      return dec.decode(java.nio.ByteBuffer.wrap(out, 0, n)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("path is not UTF-8");
    }
  }
}
