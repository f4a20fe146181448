package io.tributary.protocol;

/**
 * Header names of the Durable Streams Protocol and of Tributary's extensions (shared/protocol.md
 * §3, docs/http-api.md). HTTP header names are case-insensitive; these are the spellings the
 * server writes.
 */
public final class Headers {
  private Headers() {}

  public static final String STREAM_NEXT_OFFSET = "Stream-Next-Offset";
  public static final String STREAM_UP_TO_DATE = "Stream-Up-To-Date";
  public static final String STREAM_CLOSED = "Stream-Closed";
  public static final String STREAM_CURSOR = "Stream-Cursor";
  public static final String STREAM_TTL = "Stream-TTL";
  public static final String STREAM_EXPIRES_AT = "Stream-Expires-At";
  public static final String STREAM_SEQ = "Stream-Seq";
  public static final String STREAM_SSE_DATA_ENCODING = "Stream-SSE-Data-Encoding";
  public static final String STREAM_FORKED_FROM = "Stream-Forked-From";
  public static final String STREAM_FORK_OFFSET = "Stream-Fork-Offset";
  public static final String STREAM_FORK_SUB_OFFSET = "Stream-Fork-Sub-Offset";
  public static final String PRODUCER_ID = "Producer-Id";
  public static final String PRODUCER_EPOCH = "Producer-Epoch";
  public static final String PRODUCER_SEQ = "Producer-Seq";
  public static final String PRODUCER_EXPECTED_SEQ = "Producer-Expected-Seq";
  public static final String PRODUCER_RECEIVED_SEQ = "Producer-Received-Seq";
  public static final String STREAM_SNAPSHOT_OFFSET = "Stream-Snapshot-Offset";
  public static final String STREAM_SNAPSHOT_DIGEST = "Stream-Snapshot-Digest";
  public static final String STREAM_SNAPSHOT_MATCH = "Stream-Snapshot-Match";
  public static final String STREAM_RETAINED_OFFSET = "Stream-Retained-Offset";
  public static final String STREAM_INCARNATION = "Stream-Incarnation";
  /** On a 429 of a quota or a per-principal limit: the setting whose bound was reached (machine-readable). */
  public static final String TRIBUTARY_LIMIT = "Tributary-Limit";
  /**
   * On a 503 whose write was not submitted anywhere: why ({@link #UNAVAILABLE_NO_LEADER},
   * {@link #UNAVAILABLE_OVERLOADED}); absent when the outcome is unknown.
   */
  public static final String TRIBUTARY_UNAVAILABLE = "Tributary-Unavailable";
  /** No leader took the request before the write timeout: nothing was submitted. */
  public static final String UNAVAILABLE_NO_LEADER = "no-leader";
  /** The group's queue of pending writes was full: nothing was submitted. */
  public static final String UNAVAILABLE_OVERLOADED = "overloaded";
  public static final String RETRY_AFTER = "Retry-After";

  /** The value of presence-style headers ({@code Stream-Closed}, {@code Stream-Up-To-Date}). */
  public static final String TRUE = "true";

  /** Query parameters of reads. */
  public static final String QUERY_OFFSET = "offset";
  public static final String QUERY_LIVE = "live";
  public static final String QUERY_CURSOR = "cursor";
  public static final String LIVE_SSE = "sse";
  public static final String LIVE_LONG_POLL = "long-poll";

  /** Path segments of stream extensions ({@code {stream}/$bootstrap}, ...). */
  public static final String EXT_APPEND_BATCH = "$append-batch";
  public static final String EXT_BOOTSTRAP = "$bootstrap";
  public static final String EXT_SNAPSHOT = "$snapshot";
  public static final String EXT_RETENTION = "$retention";

  /** True if a presence-style header's value counts as set (only {@code true}, any case). */
  public static boolean isTrue(String value) {
    return value != null && value.equalsIgnoreCase(TRUE);
  }
}
