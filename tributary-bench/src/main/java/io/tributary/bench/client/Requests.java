package io.tributary.bench.client;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Builds raw HTTP/1.1 request bytes. Request heads are built once per stream and copied into each
 * request, so the hot path does no string formatting. Stateless.
 */
public final class Requests {
  private static final byte[] CRLF = {'\r', '\n'};

  private Requests() {}

  /**
   * A request head without the blank line that ends it, so callers can add per-request headers:
   * {@code METHOD target HTTP/1.1, Host, [Content-Type, Content-Length]}.
   */
  public static byte[] headPrefix(String method, String target, Endpoint ep, String contentType, int contentLength) {
    StringBuilder sb = new StringBuilder(128).append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: ").append(ep.hostHeader()).append("\r\n");
    if (contentType != null) {
      sb.append("Content-Type: ").append(contentType).append("\r\n");
    }
    if (contentLength >= 0) {
      sb.append("Content-Length: ").append(contentLength).append("\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** A complete request; a null content type means no body and no body headers (GET). */
  public static byte[] request(String method, String target, Endpoint ep, String contentType, byte[] body) {
    byte[] prefix = headPrefix(method, target, ep, contentType, contentType == null ? -1 : body.length);
    int bodyLength = contentType == null ? 0 : body.length;
    byte[] out = new byte[prefix.length + 2 + bodyLength];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    out[prefix.length] = '\r';
    out[prefix.length + 1] = '\n';
    if (bodyLength > 0) {
      System.arraycopy(body, 0, out, prefix.length + 2, bodyLength);
    }
    return out;
  }

  /** Writes {@code name: value\r\n} with a decimal value, without allocating. */
  public static void header(ByteBuf out, byte[] nameColonSpace, long value) {
    out.writeBytes(nameColonSpace);
    writeDecimal(out, value);
    out.writeBytes(CRLF);
  }

  public static void endHead(ByteBuf out) {
    out.writeBytes(CRLF);
  }

  /** ASCII decimal of a non-negative long, no allocation. */
  public static void writeDecimal(ByteBuf out, long value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative: " + value);
    }
    if (value == 0) {
      out.writeByte('0');
      return;
    }
    int digits = 0;
    for (long v = value; v > 0; v /= 10) {
      digits++;
    }
    int at = out.writerIndex() + digits;
    out.ensureWritable(digits);
    for (long v = value; v > 0; v /= 10) {
      out.setByte(--at, (int) ('0' + v % 10));
    }
    out.writerIndex(out.writerIndex() + digits);
  }

  public static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
