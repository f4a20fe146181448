package io.tributary.http;

import io.tributary.protocol.Headers;

/** Header names of the Durable Streams Protocol (from the shared {@link Headers}), and the CORS lists built from them. */
final class ProtocolHeaders {
  private ProtocolHeaders() {}

  static final String STREAM_NEXT_OFFSET = Headers.STREAM_NEXT_OFFSET;
  static final String STREAM_UP_TO_DATE = Headers.STREAM_UP_TO_DATE;
  static final String STREAM_CLOSED = Headers.STREAM_CLOSED;
  static final String STREAM_CURSOR = Headers.STREAM_CURSOR;
  static final String STREAM_TTL = Headers.STREAM_TTL;
  static final String STREAM_EXPIRES_AT = Headers.STREAM_EXPIRES_AT;
  static final String STREAM_SEQ = Headers.STREAM_SEQ;
  static final String STREAM_SSE_DATA_ENCODING = Headers.STREAM_SSE_DATA_ENCODING;
  static final String STREAM_FORKED_FROM = Headers.STREAM_FORKED_FROM;
  static final String STREAM_FORK_OFFSET = Headers.STREAM_FORK_OFFSET;
  static final String STREAM_FORK_SUB_OFFSET = Headers.STREAM_FORK_SUB_OFFSET;
  static final String PRODUCER_ID = Headers.PRODUCER_ID;
  static final String PRODUCER_EPOCH = Headers.PRODUCER_EPOCH;
  static final String PRODUCER_SEQ = Headers.PRODUCER_SEQ;
  static final String PRODUCER_EXPECTED_SEQ = Headers.PRODUCER_EXPECTED_SEQ;
  static final String PRODUCER_RECEIVED_SEQ = Headers.PRODUCER_RECEIVED_SEQ;
  static final String STREAM_SNAPSHOT_OFFSET = Headers.STREAM_SNAPSHOT_OFFSET;
  static final String STREAM_SNAPSHOT_DIGEST = Headers.STREAM_SNAPSHOT_DIGEST;
  static final String STREAM_SNAPSHOT_MATCH = Headers.STREAM_SNAPSHOT_MATCH;
  static final String STREAM_RETAINED_OFFSET = Headers.STREAM_RETAINED_OFFSET;
  static final String STREAM_INCARNATION = Headers.STREAM_INCARNATION;
  /** On a 429 of a quota or a per-principal limit: the setting whose bound was reached (machine-readable). */
  static final String TRIBUTARY_LIMIT = Headers.TRIBUTARY_LIMIT;
  /** On a 503 that submitted nothing: why (no-leader, overloaded). */
  static final String TRIBUTARY_UNAVAILABLE = Headers.TRIBUTARY_UNAVAILABLE;

  static final String EXPOSE = String.join(", ", STREAM_NEXT_OFFSET, STREAM_UP_TO_DATE, STREAM_CLOSED, STREAM_CURSOR,
      STREAM_TTL, STREAM_EXPIRES_AT, STREAM_SSE_DATA_ENCODING, PRODUCER_EPOCH, PRODUCER_SEQ, PRODUCER_EXPECTED_SEQ,
      PRODUCER_RECEIVED_SEQ, STREAM_SNAPSHOT_OFFSET, STREAM_SNAPSHOT_DIGEST, STREAM_RETAINED_OFFSET, STREAM_INCARNATION,
      TRIBUTARY_LIMIT, TRIBUTARY_UNAVAILABLE, "ETag", "Location",
      "Content-Type", "Retry-After");
  static final String ALLOW_HEADERS = String.join(", ", "Content-Type", "If-None-Match", "If-Match", STREAM_TTL,
      STREAM_EXPIRES_AT, STREAM_CLOSED, STREAM_SEQ, STREAM_FORKED_FROM, STREAM_FORK_OFFSET, STREAM_FORK_SUB_OFFSET,
      PRODUCER_ID, PRODUCER_EPOCH, PRODUCER_SEQ, STREAM_SNAPSHOT_MATCH, STREAM_INCARNATION, "Prefer", "Authorization", "Cache-Control",
      "Last-Event-ID");
  static final String ALLOW_METHODS = "GET, POST, PUT, DELETE, HEAD, OPTIONS";
}
