package io.tributary.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The per-bucket quota overrides file ({@code --bucket-quotas-file}): one bucket per line,
 * {@code bucket=streams:N,bytes:N,appends-per-second:N,append-bytes-per-second:N}, any subset of
 * the four (the others keep the node-wide {@code bucket-quota-*} values); sizes take the KiB,
 * MiB and GiB suffixes; {@code #} starts a comment. Each value is validated like its setting.
 * Stateless.
 */
public final class BucketQuotaFile {
  private BucketQuotaFile() {}

  /** The overrides of {@code text}, by bucket; fails with the line number of the first bad line. */
  public static Map<String, QuotaConfig.Bucket> parse(String text, QuotaConfig.Bucket defaults) {
    Map<String, QuotaConfig.Bucket> out = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n];
      int hash = line.indexOf('#');
      line = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (line.isEmpty()) {
        continue;
      }
      try {
        int eq = line.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("expected bucket=streams:N,bytes:N,appends-per-second:N,append-bytes-per-second:N");
        }
        String bucket = line.substring(0, eq).strip();
        if (out.containsKey(bucket)) {
          throw new IllegalArgumentException("bucket '" + bucket + "' is named twice");
        }
        out.put(bucket, entry(line.substring(eq + 1), defaults));
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new ConfigException("--bucket-quotas-file line " + (n + 1) + ": " + e.getMessage());
      }
    }
    return out;
  }

  private static QuotaConfig.Bucket entry(String spec, QuotaConfig.Bucket d) {
    long streams = d.streamsMax();
    long bytes = d.bytesMax();
    long appends = d.appendsPerSecond();
    long appendBytes = d.appendBytesPerSecond();
    for (String part : spec.split(",")) {
      String p = part.strip();
      int colon = p.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("expected name:value, got '" + p + "'");
      }
      String name = p.substring(0, colon).strip();
      long v = TributaryConfig.parseSize(p.substring(colon + 1));
      switch (name) {
        case "streams" -> streams = checked(Settings.BUCKET_QUOTA_STREAMS_MAX, v);
        case "bytes" -> bytes = checked(Settings.BUCKET_QUOTA_BYTES_MAX, v);
        case "appends-per-second" -> appends = checked(Settings.BUCKET_QUOTA_APPENDS_PER_SECOND, v);
        case "append-bytes-per-second" -> appendBytes = checked(Settings.BUCKET_QUOTA_APPEND_BYTES_PER_SECOND, v);
        default -> throw new IllegalArgumentException("unknown quota '" + name
            + "' (streams, bytes, appends-per-second, append-bytes-per-second)");
      }
    }
    return new QuotaConfig.Bucket(streams, bytes, appends, appendBytes);
  }

  private static long checked(Setting s, long v) {
    if (!s.valid().test(v)) {
      throw new IllegalArgumentException(v + " out of range for " + s.name() + " (" + s.validText() + ")");
    }
    return v;
  }
}
