package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.protocol.ErrorReason;
import io.tributary.protocol.Headers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Goal: the SDK's parsers and failure classification, without a server: SSE framing as Tributary
 * writes it, a bootstrap's multipart body, and which failures leave a write's outcome unknown.
 */
class WireFormatsTest {
  @Test
  void sseEventsKeepDataBytesAndSkipCommentsAndCutOffEvents() throws IOException {
    String wire = ": keep-alive\n\nevent: data\ndata: starts with a space\ndata:second\n\n"
        + "event: control\ndata:{\"streamNextOffset\":\"x\"}\n\nevent: data\ndata:cut off";
    try (SseEvents events = new SseEvents(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)))) {
      assertThat(events.next()).isEqualTo(new SseEvents.Event("data", " starts with a space\nsecond"));
      assertThat(events.next()).isEqualTo(new SseEvents.Event("control", "{\"streamNextOffset\":\"x\"}"));
      assertThat(events.next()).as("an event the end of the response cut off is dropped").isNull();
    }
  }

  @Test
  void bootstrapSplitsSnapshotAndMessages() {
    String body = "--b1\r\nContent-Type: application/json\r\n\r\n{\"count\":2}\r\n"
        + "--b1\r\nContent-Type: application/json\r\n\r\n{\"n\":3}\r\n"
        + "--b1\r\nContent-Type: application/json\r\n\r\n{\"n\":4}\r\n--b1--\r\n";
    Response r = response(200, Map.of("Content-Type", "multipart/mixed; boundary=b1",
        Headers.STREAM_SNAPSHOT_OFFSET, "0000000000000000_0000000000000016",
        Headers.STREAM_NEXT_OFFSET, "0000000000000000_0000000000000032", Headers.STREAM_UP_TO_DATE, "true"), body);
    Bootstrap b = Bootstrap.parse(r);
    assertThat(new String(b.snapshot(), StandardCharsets.UTF_8)).isEqualTo("{\"count\":2}");
    assertThat(b.messages()).extracting(m -> new String(m, StandardCharsets.UTF_8))
        .containsExactly("{\"n\":3}", "{\"n\":4}");
    assertThat(b.nextOffset()).isEqualTo("0000000000000000_0000000000000032");
    assertThat(b.upToDate()).isTrue();

    Response none = response(200, Map.of("Content-Type", "multipart/mixed; boundary=z",
        Headers.STREAM_SNAPSHOT_OFFSET, "-1", Headers.STREAM_NEXT_OFFSET, "0000000000000000_0000000000000000"),
        "--z\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--z--\r\n");
    assertThat(Bootstrap.parse(none).snapshot()).isNull();
    assertThat(Bootstrap.parse(none).messages()).isEmpty();
  }

  @Test
  void onlyAWriteThatMayHaveLeftThisProcessHasAnUnknownOutcome() {
    Response unavailable = response(503, Map.of("Retry-After", "2"), "no leader");
    assertThat(Failures.of("POST", unavailable, true)).isInstanceOf(TributaryException.OutcomeUnknown.class);
    TributaryException read = Failures.of("GET", unavailable, false);
    assertThat(read).isInstanceOf(TributaryException.NotSubmitted.class);
    assertThat(read.retryAfterMillis()).isEqualTo(2000);
    TributaryException noLeader = Failures.of("POST", response(503, Map.of("Retry-After", "1",
        Headers.TRIBUTARY_UNAVAILABLE, Headers.UNAVAILABLE_NO_LEADER), "no leader took the write"), true);
    assertThat(noLeader).as("no leader took it: nothing was submitted").isInstanceOf(TributaryException.NotSubmitted.class);
    assertThat(noLeader.reason()).isEqualTo(ErrorReason.NO_LEADER);
    assertThat(Failures.of("POST", response(429, Map.of("Retry-After", "10"), ""), true))
        .as("429 is refused before submission").isInstanceOf(TributaryException.NotSubmitted.class);
    assertThat(Failures.of("POST", "n1", new ConnectException("refused"), true))
        .as("a refused connection sent nothing").isInstanceOf(TributaryException.NotSubmitted.class);
    assertThat(Failures.of("POST", "n1", new IOException("connection reset"), true))
        .isInstanceOf(TributaryException.OutcomeUnknown.class);
    TributaryException gone = Failures.of("GET", response(410, Map.of(Headers.STREAM_SNAPSHOT_OFFSET, "s",
        Headers.STREAM_RETAINED_OFFSET, "r"), ""), false);
    assertThat(gone).isInstanceOfSatisfying(TributaryException.Gone.class, g -> {
      assertThat(g.snapshotOffset()).isEqualTo("s");
      assertThat(g.retainedOffset()).isEqualTo("r");
    });
    assertThat(Failures.of("POST", response(403, Map.of(Headers.PRODUCER_EPOCH, "7"), ""), true))
        .isInstanceOfSatisfying(TributaryException.Fenced.class, f -> assertThat(f.currentEpoch()).isEqualTo(7));
    assertThat(Failures.of("PUT", response(409, Map.of(), "different config"), true).reason())
        .isEqualTo(ErrorReason.CONFLICT);
  }

  @Test
  void jsonReaderReadsTheServersListings() {
    Object v = Json.parse("{\"bucket\":\"b\",\"streams\":[{\"name\":\"a \\\"q\\\" \\u00e9\\/x\",\"closed\":true,"
        + "\"n\":-12,\"f\":1.5e2}],\"next\":null}");
    Map<String, Object> expected = new java.util.HashMap<>();
    expected.put("bucket", "b");
    expected.put("streams", List.of(Map.of("name", "a \"q\" \u00e9/x", "closed", true, "n", -12L, "f", 150.0)));
    expected.put("next", null);
    assertThat(v).isEqualTo(expected);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Json.parse("{\"a\":1,}"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void pathSegmentsArePercentEncoded() {
    assertThat(StreamHandle.encodePath("chat/room 1/é")).isEqualTo("chat/room%201/%C3%A9");
    assertThat(StreamHandle.encodePath("@key/doc-1.v2")).isEqualTo("@key/doc-1.v2");
  }

  private static Response response(int status, Map<String, String> headers, String body) {
    Map<String, List<String>> h = new java.util.HashMap<>();
    headers.forEach((k, v) -> h.put(k, List.of(v)));
    return new Response("http://n1", status, HttpHeaders.of(h, (a, b) -> true), body.getBytes(StandardCharsets.UTF_8));
  }
}
