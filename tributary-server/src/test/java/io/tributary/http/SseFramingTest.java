package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Goal: an SSE data event carries the chunk's bytes exactly, one {@code data:} line per payload
 * line whatever the line break (CR, LF, CRLF), so a payload cannot inject SSE fields or end the
 * event early; JSON chunks become one array; binary chunks are base64; multi-byte UTF-8 passes
 * through untouched. Method: frame byte arrays and compare the text.
 */
class SseFramingTest {
  private static String frame(String payload, boolean json, boolean base64) {
    return frame(payload.getBytes(StandardCharsets.UTF_8), json, base64);
  }

  private static String frame(byte[] payload, boolean json, boolean base64) {
    ByteBuf b = SseFraming.dataEvent(UnpooledByteBufAllocator.DEFAULT, payload, json, base64);
    try {
      return b.toString(StandardCharsets.UTF_8);
    } finally {
      b.release();
    }
  }

  @Test
  void everyKindOfLineBreakStartsANewDataLine() {
    assertThat(frame("one", false, false)).isEqualTo("event: data\ndata:one\n\n");
    assertThat(frame("a\nb\r\nc\rd", false, false)).isEqualTo("event: data\ndata:a\ndata:b\ndata:c\ndata:d\n\n");
    assertThat(frame("x\n\nevent: control\n", false, false))
        .as("an injected field stays inside a data line").isEqualTo("event: data\ndata:x\ndata:\ndata:event: control\ndata:\n\n");
    assertThat(frame("", false, false)).isEqualTo("event: data\ndata:\n\n");
    assertThat(frame("héllo ✓ 😀\nž", false, false)).isEqualTo("event: data\ndata:héllo ✓ 😀\ndata:ž\n\n");
  }

  @Test
  void jsonChunksBecomeOneArrayAndBinaryIsBase64() {
    assertThat(frame("{\"a\":1}\n{\"b\":2}\n", true, false)).isEqualTo("event: data\ndata:[{\"a\":1},{\"b\":2}]\n\n");
    byte[] bin = {0, (byte) 0xff, '\n', '\r', 42};
    assertThat(frame(bin, false, true)).isEqualTo("event: data\ndata:" + Base64.getEncoder().encodeToString(bin) + "\n\n");
  }

  /** A failed read ends the response with one error event; the reason cannot break out of its JSON string or line. */
  @Test
  void anErrorEventNamesTheReasonOnOneLine() {
    assertThat(SseFraming.errorEvent("bytes [10, 20) are \"damaged\"\nevent: data", true, "0000000000000010"))
        .isEqualTo("event: error\ndata:{\"error\":\"bytes [10, 20) are \\\"damaged\\\"\\u000aevent: data\","
            + "\"retryable\":true,\"streamNextOffset\":\"0000000000000010\"}\n\n");
  }
}
