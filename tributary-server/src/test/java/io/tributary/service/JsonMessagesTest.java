package io.tributary.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Goal: JSON mode validates, flattens exactly one level, frames with '\n' and renders arrays back. */
class JsonMessagesTest {
  private static JsonMessages.Framed frame(String s, boolean put) {
    return JsonMessages.frame(s.getBytes(StandardCharsets.UTF_8), put);
  }

  private static String render(JsonMessages.Framed f) {
    return new String(JsonMessages.toArray(f.bytes()), StandardCharsets.UTF_8);
  }

  @Test
  void flattensOneLevel() {
    assertThat(render(frame("[1, 2]", false))).isEqualTo("[1,2]");
    assertThat(frame("[[1,2],[3,4]]", false).count()).isEqualTo(2);
    assertThat(render(frame("[[[1,2,3]]]", false))).isEqualTo("[[[1,2,3]]]");
    assertThat(render(frame(" {\"a\" : \"x\\ny\"} ", false))).isEqualTo("[{\"a\":\"x\\ny\"}]");
    assertThat(frame("\"s\"", false).count()).isEqualTo(1);
  }

  @Test
  void emptyArrayIsOnlyAllowedOnCreate() {
    assertThat(frame("[]", true).count()).isZero();
    assertThatThrownBy(() -> frame("[]", false)).isInstanceOf(BadRequestException.class);
  }

  @Test
  void rejectsInvalidJson() {
    for (String bad : new String[] {"{", "[1,", "{\"a\":1} x", "NaN", "// c\n1", "[1 2]", "{'a':1}", "\u0000"}) {
      assertThatThrownBy(() -> frame(bad, false)).as(bad).isInstanceOf(BadRequestException.class);
    }
  }

  @Test
  void findsMessageBoundaries() {
    byte[] framed = frame("[{\"a\":\"\\n,\"},2,3]", false).bytes();
    assertThat(JsonMessages.prefixOfMessages(framed, 1)).isEqualTo("{\"a\":\"\\n,\"}\n".length());
    assertThat(JsonMessages.prefixOfMessages(framed, 3)).isEqualTo(framed.length);
    assertThat(JsonMessages.prefixOfMessages(framed, 4)).isEqualTo(-1);
    assertThat(JsonMessages.wholeMessagesLength(framed, framed.length - 1)).isEqualTo(framed.length - 2);
  }
}
