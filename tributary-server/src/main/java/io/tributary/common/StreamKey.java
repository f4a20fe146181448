package io.tributary.common;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The one identity of a stream, whatever route family addressed it: a bucket and a stream name
 * (the name may contain '/'). Immutable; safe on any thread.
 */
public record StreamKey(String bucket, String stream) implements Comparable<StreamKey> {

  /** The bucket of the flat Durable Streams namespace ({@code /v1/stream/...}). */
  public static final String DEFAULT_BUCKET = "default";

  public StreamKey {
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(stream, "stream");
  }

  /**
   * The stream's affinity key: its first name segment when that starts with {@code @} (as in
   * {@code @room42/chat}), else null. Streams sharing an affinity key live in one group, so one
   * Raft entry can append to several of them atomically.
   */
  public String affinity() {
    if (stream.isEmpty() || stream.charAt(0) != '@') {
      return null;
    }
    int slash = stream.indexOf('/');
    return slash < 0 ? stream : stream.substring(0, slash);
  }

  /**
   * 64-bit FNV-1a of {@code bucket + "/" + placementName} in UTF-8, where the placement name is
   * the affinity key if there is one, else the whole stream name: the placement hash.
   */
  public long placementHash() {
    String a = affinity();
    long h = 0xcbf29ce484222325L;
    for (byte b : (bucket + "/" + (a != null ? a : stream)).getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** Group index for {@code groupCount} groups. */
  public int groupIndex(int groupCount) {
    return (int) Long.remainderUnsigned(placementHash(), groupCount);
  }

  @Override
  public int compareTo(StreamKey o) {
    int c = bucket.compareTo(o.bucket);
    return c != 0 ? c : stream.compareTo(o.stream);
  }

  @Override
  public String toString() {
    return bucket + "/" + stream;
  }
}
