package io.tributary.http;

/** Header names of the Durable Streams Protocol, and the CORS lists built from them. */
final class ProtocolHeaders {
  private ProtocolHeaders() {}

  static final String STREAM_NEXT_OFFSET = "Stream-Next-Offset";
  static final String STREAM_UP_TO_DATE = "Stream-Up-To-Date";
  static final String STREAM_CLOSED = "Stream-Closed";
  static final String STREAM_CURSOR = "Stream-Cursor";
  static final String STREAM_TTL = "Stream-TTL";
  static final String STREAM_EXPIRES_AT = "Stream-Expires-At";
  static final String STREAM_SEQ = "Stream-Seq";
  static final String STREAM_SSE_DATA_ENCODING = "Stream-SSE-Data-Encoding";
  static final String STREAM_FORKED_FROM = "Stream-Forked-From";
  static final String STREAM_FORK_OFFSET = "Stream-Fork-Offset";
  static final String STREAM_FORK_SUB_OFFSET = "Stream-Fork-Sub-Offset";
  static final String PRODUCER_ID = "Producer-Id";
  static final String PRODUCER_EPOCH = "Producer-Epoch";
  static final String PRODUCER_SEQ = "Producer-Seq";
  static final String PRODUCER_EXPECTED_SEQ = "Producer-Expected-Seq";
  static final String PRODUCER_RECEIVED_SEQ = "Producer-Received-Seq";
  static final String STREAM_SNAPSHOT_OFFSET = "Stream-Snapshot-Offset";
  static final String STREAM_SNAPSHOT_DIGEST = "Stream-Snapshot-Digest";
  static final String STREAM_SNAPSHOT_MATCH = "Stream-Snapshot-Match";
  static final String STREAM_RETAINED_OFFSET = "Stream-Retained-Offset";
  static final String STREAM_INCARNATION = "Stream-Incarnation";
  /** On a 429 of a quota or a per-principal limit: the setting whose bound was reached (machine-readable). */
  static final String TRIBUTARY_LIMIT = "Tributary-Limit";

  static final String EXPOSE = String.join(", ", STREAM_NEXT_OFFSET, STREAM_UP_TO_DATE, STREAM_CLOSED, STREAM_CURSOR,
      STREAM_TTL, STREAM_EXPIRES_AT, STREAM_SSE_DATA_ENCODING, PRODUCER_EPOCH, PRODUCER_SEQ, PRODUCER_EXPECTED_SEQ,
      PRODUCER_RECEIVED_SEQ, STREAM_SNAPSHOT_OFFSET, STREAM_SNAPSHOT_DIGEST, STREAM_RETAINED_OFFSET, STREAM_INCARNATION,
      TRIBUTARY_LIMIT, "ETag", "Location",
      "Content-Type", "Retry-After");
  static final String ALLOW_HEADERS = String.join(", ", "Content-Type", "If-None-Match", "If-Match", STREAM_TTL,
      STREAM_EXPIRES_AT, STREAM_CLOSED, STREAM_SEQ, STREAM_FORKED_FROM, STREAM_FORK_OFFSET, STREAM_FORK_SUB_OFFSET,
      PRODUCER_ID, PRODUCER_EPOCH, PRODUCER_SEQ, STREAM_SNAPSHOT_MATCH, STREAM_INCARNATION, "Prefer", "Authorization", "Cache-Control",
      "Last-Event-ID");
  static final String ALLOW_METHODS = "GET, POST, PUT, DELETE, HEAD, OPTIONS";
}
