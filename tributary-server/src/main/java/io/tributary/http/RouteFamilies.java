package io.tributary.http;

import io.tributary.common.StreamKey;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Maps request paths of all route families onto one {@link StreamKey} (docs/http-api.md):
 * <pre>
 *   /v1/stream/{path}          → (default, path)     Durable Streams flat namespace
 *   /ds/{bucket}/{stream...}   → (bucket, stream)    primary, bucket-scoped
 *   /streams/{id}              → (default, id)       legacy
 *   /{bucket}/{stream...}      → (bucket, stream)    Ursula-compatible
 *   /ds/{bucket}               → bucket operations
 * </pre>
 * Stateless and thread-safe.
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

  enum Kind { STREAM, BUCKET, BUCKETS, SYSTEM, ADMIN, INTERNAL, SUBSCRIPTIONS, INVALID, NONE }

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
      return new Target(Kind.SYSTEM, null, null, null);
    }
    if (path.startsWith("/internal/")) {
      return new Target(Kind.INTERNAL, null, null, null);
    }
    if (path.startsWith("/admin/")) {
      return new Target(Kind.ADMIN, null, null, null);
    }
    if (path.startsWith("/v1/stream/")) {
      String name = path.substring("/v1/stream/".length());
      if (name.equals("__ds") || name.startsWith("__ds/")) {
        return new Target(Kind.SUBSCRIPTIONS, null, null, null);
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
      if (!RESERVED.contains(first) && slash > 0) {
        return bucketOrStream(rest);
      }
    }
    return new Target(Kind.NONE, null, null, null);
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
