package io.tributary.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.client.Chunk;
import io.tributary.client.CreateOptions;
import io.tributary.client.StreamHandle;
import io.tributary.client.StreamInfo;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryException;
import io.tributary.protocol.ErrorReason;
import io.tributary.protocol.Offsets;
import io.tributary.testing.LocalNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the SDK's stream operations do what the protocol says against a real node, and every
 * refusal arrives as the typed failure a caller acts on. Method: one in-process node; each test
 * uses its own stream and checks the bytes, offsets and failure types the SDK hands back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientOperationsTest {
  @TempDir
  static Path dir;
  static LocalNode node;
  static TributaryClient client;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, Map.of());
    client = TributaryClient.builder().nodes(node.url("")).retryDeadline(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    node.close();
  }

  @Test
  void createAppendReadHeadCloseDelete() throws Exception {
    StreamHandle s = client.stream("ops/basic");
    assertThat(s.create(CreateOptions.of("text/plain"))).as("created now").isTrue();
    assertThat(s.create(CreateOptions.of("text/plain"))).as("same options again: exists").isFalse();
    String afterHello = s.append("text/plain", "hello ");
    String afterWorld = s.append("text/plain", "world");
    assertThat(afterHello).isEqualTo(Offsets.format(6));
    assertThat(afterWorld).isEqualTo(Offsets.format(11));

    Chunk all = s.read("-1");
    assertThat(new String(all.data(), StandardCharsets.UTF_8)).isEqualTo("hello world");
    assertThat(all.nextOffset()).isEqualTo(afterWorld);
    assertThat(all.upToDate()).isTrue();
    assertThat(all.closed()).isFalse();
    Chunk rest = s.read(afterHello);
    assertThat(new String(rest.data(), StandardCharsets.UTF_8)).isEqualTo("world");

    StreamInfo info = s.head();
    assertThat(info.contentType()).startsWith("text/plain");
    assertThat(info.nextOffset()).isEqualTo(afterWorld);
    assertThat(info.closed()).isFalse();

    assertThat(s.closeStream()).isEqualTo(afterWorld);
    assertThat(s.closeStream()).as("closing is idempotent").isEqualTo(afterWorld);
    assertThat(s.read(afterWorld).closed()).as("end of stream at the tail").isTrue();
    TributaryException.StreamClosed closed = (TributaryException.StreamClosed) catchTyped(
        () -> s.append("text/plain", "late"));
    assertThat(closed.finalOffset()).isEqualTo(afterWorld);

    s.delete();
    assertThat(catchTyped(s::head)).isInstanceOf(TributaryException.NotFound.class);
  }

  @Test
  void refusalsAreTyped() throws Exception {
    StreamHandle missing = client.stream("ops/missing");
    assertThat(catchTyped(() -> missing.read("-1"))).isInstanceOf(TributaryException.NotFound.class);
    assertThat(catchTyped(() -> missing.append("text/plain", "x"))).isInstanceOf(TributaryException.NotFound.class);

    StreamHandle s = client.stream("ops/typed");
    s.create(CreateOptions.of("application/json"));
    TributaryException conflict = catchTyped(() -> s.create(CreateOptions.of("text/plain")));
    assertThat(conflict).isInstanceOf(TributaryException.Rejected.class);
    assertThat(conflict.reason()).isEqualTo(ErrorReason.CONFLICT);
    TributaryException bad = catchTyped(() -> s.append("application/json", "{not json"));
    assertThat(bad.reason()).isEqualTo(ErrorReason.BAD_REQUEST);
    assertThat(bad.status()).isEqualTo(400);
    assertThatThrownBy(() -> s.read("../etc")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aNodeThatDoesNotAnswerIsSkipped() throws Exception {
    // the first node listed refuses connections (nothing listens): the SDK moves on to the next
    int closedPort = io.tributary.testing.ServerProcess.freePort();
    try (TributaryClient twoNodes = TributaryClient.builder().nodes("http://127.0.0.1:" + closedPort, node.url(""))
        .retryDeadline(Duration.ofSeconds(10)).build()) {
      StreamHandle s = twoNodes.stream("ops/failover");
      assertThat(s.create(CreateOptions.of("text/plain"))).isTrue();
      assertThat(s.append("text/plain", "via the second node")).isEqualTo(Offsets.format(19));
    }
  }

  @Test
  void aBearerTokenIsSentOnEveryRequest() throws Exception {
    // the dev node asks for no token; an Authorization header it does not need must not break requests
    int[] asked = {0};
    try (TributaryClient withToken = TributaryClient.builder().nodes(node.url(""))
        .token(() -> "token-" + (++asked[0])).build()) {
      StreamHandle s = withToken.stream("ops/token");
      s.create(CreateOptions.of("text/plain"));
      s.append("text/plain", "x");
      s.read("-1");
    }
    assertThat(asked[0]).as("the provider is asked once per request").isEqualTo(3);
  }

  @Test
  void theErrorSwitchOfDocsClientMdCoversEveryFailure() throws Exception {
    // docs/client.md "Errors" switches over the sealed hierarchy without a default: this compiles only while it is exhaustive
    assertThat(action(catchTyped(() -> client.stream("ops/none").head()))).isEqualTo("create");
  }

  private static String action(TributaryException e) {
    return switch (e) {
      case TributaryException.NotSubmitted n -> "retry after " + n.retryAfterMillis();
      case TributaryException.OutcomeUnknown u -> "use a producer";
      case TributaryException.TooLarge t -> "split";
      case TributaryException.Gone g -> "bootstrap from " + g.snapshotOffset();
      case TributaryException.Fenced f -> "stop at " + f.currentEpoch();
      case TributaryException.StreamClosed c -> "done at " + c.finalOffset();
      case TributaryException.NotFound nf -> "create";
      case TributaryException.SequenceGap g -> "restart the producer";
      case TributaryException.Rejected r -> "fail " + r.reason() + " " + r.status();
    };
  }

  interface Op {
    void run() throws Exception;
  }

  static TributaryException catchTyped(Op op) {
    try {
      op.run();
    } catch (TributaryException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a TributaryException, got " + e, e);
    }
    throw new AssertionError("expected a TributaryException, the call succeeded");
  }
}
