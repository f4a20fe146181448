package io.tributary.client;

import io.tributary.protocol.Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A stream's state to start from ({@code GET {s}/$bootstrap}): the latest snapshot (null when
 * there is none: {@code snapshotOffset} is {@code -1}) and every retained message after it, in
 * order. Apply the snapshot, then the messages, then read or tail from {@code nextOffset}; when
 * {@code upToDate} is false the response was bounded and ordinary reads carry on from there.
 */
public record Bootstrap(String snapshotOffset, String snapshotContentType, byte[] snapshot, List<byte[]> messages,
    String nextOffset, boolean upToDate, boolean closed) {

  /** Parses the {@code multipart/mixed} answer (RFC 2046): part 1 the snapshot, then one part per message. */
  static Bootstrap parse(Response r) {
    String ct = r.header("Content-Type");
    int at = ct == null ? -1 : ct.toLowerCase(Locale.ROOT).indexOf("boundary=");
    if (at < 0) {
      throw new IllegalStateException("bootstrap via " + r.node() + ": not multipart/mixed: " + ct);
    }
    String boundary = ct.substring(at + "boundary=".length()).trim();
    if (boundary.startsWith("\"") && boundary.endsWith("\"") && boundary.length() >= 2) {
      boundary = boundary.substring(1, boundary.length() - 1);
    }
    List<String> types = new ArrayList<>();
    List<byte[]> bodies = new ArrayList<>();
    byte[] body = r.body();
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
    byte[] nextDelimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
    byte[] headerEnd = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    int pos = indexOf(body, delimiter, 0);
    while (pos >= 0) {
      int lineEnd = pos + delimiter.length;
      if (lineEnd + 1 < body.length && body[lineEnd] == '-' && body[lineEnd + 1] == '-') {
        break; // the close delimiter
      }
      int headersStart = lineEnd + 2;
      int headersStop = indexOf(body, headerEnd, headersStart);
      int next = headersStop < 0 ? -1 : indexOf(body, nextDelimiter, headersStop + 4);
      if (next < 0) {
        throw new IllegalStateException("bootstrap via " + r.node() + ": truncated multipart body");
      }
      String type = null;
      for (String line : new String(body, headersStart, headersStop - headersStart, StandardCharsets.US_ASCII)
          .split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-type:")) {
          type = line.substring("content-type:".length()).trim();
        }
      }
      types.add(type);
      bodies.add(Arrays.copyOfRange(body, headersStop + 4, next));
      pos = next + 2;
    }
    if (bodies.isEmpty()) {
      throw new IllegalStateException("bootstrap via " + r.node() + ": no snapshot part");
    }
    String snapshotOffset = r.header(Headers.STREAM_SNAPSHOT_OFFSET);
    boolean none = snapshotOffset == null || "-1".equals(snapshotOffset);
    return new Bootstrap(snapshotOffset, none ? null : types.get(0), none ? null : bodies.get(0),
        List.copyOf(bodies.subList(1, bodies.size())), r.header(Headers.STREAM_NEXT_OFFSET),
        Headers.isTrue(r.header(Headers.STREAM_UP_TO_DATE)), Headers.isTrue(r.header(Headers.STREAM_CLOSED)));
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = Math.max(0, from); i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
