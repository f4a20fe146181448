package io.tributary.http;

import io.tributary.common.Offsets;
import io.tributary.service.BadRequestException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;

/** Strict parsing of protocol header and query values; every rejection is a 400 with a reason. */
final class HeaderParsing {
  private HeaderParsing() {}

  /**
   * At most 12 digits (under 31,710 years): {@code ttlSeconds * 1000} plus any access time in
   * epoch milliseconds stays far from {@link Long#MAX_VALUE}, so expiry arithmetic cannot overflow.
   */
  private static final Pattern TTL = Pattern.compile("0|[1-9][0-9]{0,11}");
  /** The latest representable {@code Stream-Expires-At}: RFC 3339 has four-digit years. */
  static final long EXPIRES_AT_MILLIS_MAX = java.time.Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
  private static final Pattern UINT = Pattern.compile("[0-9]{1,16}");
  static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  /** Presence-style flag: only a case-insensitive "true" counts; anything else is absent. */
  static boolean isTrue(String v) {
    return v != null && v.trim().equalsIgnoreCase("true");
  }

  static long ttlSeconds(String v) {
    if (v == null) {
      return -1;
    }
    if (!TTL.matcher(v).matches()) {
      throw new BadRequestException("Stream-TTL must be a non-negative integer number of seconds without sign or leading zeros");
    }
    return Long.parseLong(v);
  }

  /**
   * An RFC 3339 timestamp as epoch milliseconds. Instants outside 1970-01-01T00:00:00Z ..
   * 9999-12-31T23:59:59.999Z are refused: RFC 3339 years have four digits (Java also parses
   * {@code +999999999-12-31T23:59:59Z}, whose milliseconds overflow a long), and the stream table
   * stores "no expiry" as a negative number.
   */
  static long expiresAtMillis(String v) {
    OffsetDateTime t;
    try {
      t = OffsetDateTime.parse(v.trim(), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    } catch (DateTimeParseException e) {
      throw new BadRequestException("Stream-Expires-At must be an RFC 3339 timestamp");
    }
    long millis;
    try {
      millis = t.toInstant().toEpochMilli();
    } catch (ArithmeticException e) {
      millis = Long.MAX_VALUE; // beyond a long either way: refused below
    }
    if (millis < 0 || millis > EXPIRES_AT_MILLIS_MAX) {
      throw new BadRequestException("Stream-Expires-At must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
    }
    return millis;
  }

  /**
   * 400 when {@code v} is longer than {@code maxBytes} in UTF-8: identifiers a stream keeps (producer
   * ids, its last {@code Stream-Seq}) live in the stream table and in every snapshot.
   */
  static void checkLength(String name, String v, int maxBytes, String setting) {
    // Netty decodes header bytes one char each; a char above U+007F takes two bytes in UTF-8
    if (v.length() > maxBytes || v.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxBytes) {
      throw new BadRequestException(name + " is longer than " + setting + " (" + maxBytes + " bytes)");
    }
  }

  /** Producer epoch/seq: decimal digits, at most 2^53-1. */
  static long producerNumber(String name, String v) {
    if (v == null || !UINT.matcher(v.trim()).matches()) {
      throw new BadRequestException(name + " must be a non-negative integer");
    }
    long n = Long.parseLong(v.trim());
    if (n > MAX_SAFE_INTEGER) {
      throw new BadRequestException(name + " exceeds 2^53-1");
    }
    return n;
  }

  /**
   * {@code If-Match: <offset>} on an append (quotes allowed, as for an entity tag): the tail the
   * writer expects; -1 when absent. Anything but one well-formed offset is a 400.
   */
  static long ifMatch(String v) {
    if (v == null) {
      return -1;
    }
    String t = v.trim();
    if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
      t = t.substring(1, t.length() - 1);
    }
    long pos = Offsets.parse(t);
    if (pos == Offsets.INVALID) {
      throw new BadRequestException("If-Match must be one stream offset (the tail the append expects)");
    }
    return pos;
  }

  static long subOffset(String v) {
    if (v == null) {
      return 0;
    }
    if (!UINT.matcher(v.trim()).matches()) {
      throw new BadRequestException("Stream-Fork-Sub-Offset must be a non-negative integer");
    }
    return Long.parseLong(v.trim());
  }

  /** Parsed {@code offset} query: a byte position, {@link Offsets#BEGINNING}, or NOW. */
  static final long NOW = -3;
  static final long ABSENT = -4;

  static long offsetParam(List<String> values) {
    if (values == null || values.isEmpty()) {
      return ABSENT;
    }
    if (values.size() > 1) {
      throw new BadRequestException("offset given more than once");
    }
    String v = values.get(0);
    if (v.isEmpty()) {
      throw new BadRequestException("offset is empty");
    }
    if (v.equals("-1")) {
      return Offsets.BEGINNING;
    }
    if (v.equals("now")) {
      return NOW;
    }
    long pos = Offsets.parse(v);
    if (pos == Offsets.INVALID) {
      throw new BadRequestException("malformed offset");
    }
    return pos;
  }
}
