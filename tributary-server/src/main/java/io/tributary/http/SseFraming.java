package io.tributary.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.tributary.service.JsonMessages;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The bytes of one SSE {@code data} event for a chunk of stream bytes, written straight into a
 * (pooled) buffer: textual payloads are split into {@code data:} lines at CR, LF and CRLF, so no
 * payload line can inject an SSE field; JSON chunks become one array; binary streams are base64.
 * Works on bytes (CR and LF never occur inside a UTF-8 multi-byte sequence), so the payload is
 * neither decoded nor re-encoded: every subscriber frames every event, and a String round trip
 * per subscriber was most of a fan-out's framing cost. Stateless; any thread.
 */
public final class SseFraming {
  private static final byte[] EVENT_DATA = "event: data\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

  private SseFraming() {}

  /** One {@code data} event (ending with the blank line) for {@code chunk}. */
  public static ByteBuf dataEvent(ByteBufAllocator alloc, byte[] chunk, boolean json, boolean base64) {
    byte[] payload = json && !base64 ? JsonMessages.toArray(chunk) : chunk;
    ByteBuf out = alloc.buffer(EVENT_DATA.length + (base64 ? (payload.length + 2) / 3 * 4 : payload.length) + 32);
    out.writeBytes(EVENT_DATA);
    if (base64) {
      out.writeBytes(DATA).writeBytes(Base64.getEncoder().encode(payload)).writeByte('\n');
    } else {
      writeLines(out, payload);
    }
    out.writeByte('\n');
    return out;
  }

  /**
   * The {@code error} event a subscriber gets before the response ends because a read failed:
   * {@code event: error} with a JSON object naming the reason, whether a retry may succeed and the
   * offset to resume from. Without it the client saw a 200 that just stopped, indistinguishable
   * from the server's planned end of a response ({@code sse-connection-max-ms}).
   */
  public static String errorEvent(String reason, boolean retryable, String nextOffset) {
    return "event: error\ndata:{\"error\":" + JsonText.string(reason) + ",\"retryable\":" + retryable
        + ",\"streamNextOffset\":" + JsonText.string(nextOffset) + "}\n\n";
  }

  /** {@code data:<line>\n} for each line of {@code payload}, split at CR, LF and CRLF. */
  static void writeLines(ByteBuf out, byte[] payload) {
    int lineStart = 0;
    int i = 0;
    while (i < payload.length) {
      byte c = payload[i];
      if (c == '\r' || c == '\n') {
        out.writeBytes(DATA).writeBytes(payload, lineStart, i - lineStart).writeByte('\n');
        if (c == '\r' && i + 1 < payload.length && payload[i + 1] == '\n') {
          i++;
        }
        lineStart = i + 1;
      }
      i++;
    }
    out.writeBytes(DATA).writeBytes(payload, lineStart, payload.length - lineStart).writeByte('\n');
  }
}
