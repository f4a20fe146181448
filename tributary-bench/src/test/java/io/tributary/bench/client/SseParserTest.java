package io.tributary.bench.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Goal: the SSE parser and the stamp codec read exactly what a server sends, however the bytes
 * are cut into TCP reads. Method: one SSE body with data lines (stamps), control events,
 * keep-alive comments and CRLF endings, fed in random pieces (seeded, seed in the message), must
 * give the same data lines and controls as feeding it whole.
 */
class SseParserTest {
  private static final String BODY = "event: data\ndata:1:100:xxxx\ndata:2:200:xxxx\ndata:\n\n"
      + ": keep-alive\n\n"
      + "event: control\r\ndata:{\"streamNextOffset\":\"0000000000000000_0000000000000034\",\"upToDate\":true}\r\n\r\n"
      + "event: data\ndata:3:300:" + "x".repeat(3000) + "\n\n"
      + "event: control\ndata:{\"streamNextOffset\":\"0000000000000000_0000000000003100\"}\n\n";

  @Test
  void randomSplitsGiveTheSameEvents() {
    List<String> whole = parse(List.of(BODY.length()));
    assertThat(whole).containsExactly("seq 1 @100", "seq 2 @200", "data-other", "control 0000000000000000_0000000000000034",
        "seq 3 @300", "control 0000000000000000_0000000000003100");
    long seed = System.nanoTime();
    SplittableRandom r = new SplittableRandom(seed);
    for (int round = 0; round < 200; round++) {
      List<Integer> cuts = new ArrayList<>();
      int left = BODY.length();
      while (left > 0) {
        int n = Math.min(left, 1 + r.nextInt(40));
        cuts.add(n);
        left -= n;
      }
      assertThat(parse(cuts)).as("seed %d round %d", seed, round).isEqualTo(whole);
    }
  }

  @Test
  void stampRoundTripsAndRejectsForeignLines() {
    ByteBuf b = Unpooled.buffer();
    Stamp.write(b, 42, 123_456_789_012L, 256);
    assertThat(b.readableBytes()).isEqualTo(256);
    assertThat(b.getByte(255)).isEqualTo((byte) '\n');
    Stamp s = Stamp.holder();
    assertThat(s.parse(b, 0, 255)).isTrue();
    assertThat(s.seq).isEqualTo(42);
    assertThat(s.sendNanos).isEqualTo(123_456_789_012L);
    ByteBuf foreign = Unpooled.copiedBuffer("hello:world:", StandardCharsets.US_ASCII);
    assertThat(s.parse(foreign, 0, foreign.readableBytes())).isFalse();
  }

  private static List<String> parse(List<Integer> cuts) {
    List<String> out = new ArrayList<>();
    Stamp stamp = Stamp.holder();
    SseParser p = new SseParser(new SseParser.Listener() {
      @Override
      public void dataLine(ByteBuf buf, int from, int length) {
        out.add(stamp.parse(buf, from, length) ? "seq " + stamp.seq + " @" + stamp.sendNanos : "data-other");
      }

      @Override
      public void control(String json) {
        out.add("control " + SseParser.stringField(json, "streamNextOffset"));
      }
    });
    byte[] all = BODY.getBytes(StandardCharsets.US_ASCII);
    int at = 0;
    for (int n : cuts) {
      p.feed(Unpooled.wrappedBuffer(all, at, n));
      at += n;
    }
    return out;
  }
}
