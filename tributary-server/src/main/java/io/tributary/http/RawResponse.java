package io.tributary.http;

import java.nio.charset.StandardCharsets;

/**
 * A complete HTTP/1.1 response as bytes, for the handlers in front of the HTTP codec (the
 * connection gate, the slow-request guard, the buffer budget) that answer before or instead of a
 * decoded request and close the connection. Builds the head with {@code Connection: close} and
 * the {@code Content-Length} of the text/plain reason, so no caller counts bytes by hand.
 * Stateless.
 */
final class RawResponse {
  private RawResponse() {}

  /**
   * @param statusLine  e.g. {@code 503 Service Unavailable}
   * @param headerLines further header lines, each ending in CRLF (may be empty)
   * @param reason      the body, ASCII
   */
  static byte[] of(String statusLine, String headerLines, String reason) {
    byte[] body = reason.getBytes(StandardCharsets.US_ASCII);
    return ("HTTP/1.1 " + statusLine + "\r\n" + headerLines + "Content-Type: text/plain; charset=utf-8\r\n"
        + "X-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n\r\n" + reason)
        .getBytes(StandardCharsets.US_ASCII);
  }
}
