package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.client.CreateOptions;
import io.tributary.client.StreamHandle;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryException;
import io.tributary.protocol.ErrorReason;
import io.tributary.testing.LocalNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the SDK reaches a node that serves HTTPS only and requires a bearer token, with the
 * SSLContext and token provider it was given; and the failures without them are typed. Method:
 * one in-process node with a test CA's certificate and an API key file; clients with the right
 * CA and key, without a token, and trusting another CA.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SdkTlsTokenTest {
  private static final String KEY = "sdk-writer-key-" + "w".repeat(20);

  @Test
  void tokenAndTlsReachTheNodeAndTheirAbsenceIsTyped(@TempDir Path dir) throws Exception {
    TestPki pki = new TestPki(dir);
    pki.node("n1");
    Files.writeString(dir.resolve("keys"), "writer " + sha256(KEY) + " *:default\n");
    try (LocalNode node = new LocalNode(dir.resolve("data"), Map.of(
        "tls-cert-file", pki.cert("n1").toString(),
        "tls-key-file", pki.key("n1").toString(),
        "auth-api-keys-file", dir.resolve("keys").toString()))) {
      String url = "https://127.0.0.1:" + node.tributaryNode().port();
      try (TributaryClient client = TributaryClient.builder().nodes(url).sslContext(pki.clientContext())
          .token(() -> KEY).retryDeadline(Duration.ofSeconds(5)).build()) {
        StreamHandle s = client.stream("secure");
        assertThat(s.create(CreateOptions.of("text/plain"))).isTrue();
        s.append("text/plain", "over TLS with a token");
        assertThat(new String(s.read("-1").data(), StandardCharsets.UTF_8)).isEqualTo("over TLS with a token");
      }
      try (TributaryClient anonymous = TributaryClient.builder().nodes(url).sslContext(pki.clientContext())
          .retryDeadline(Duration.ofSeconds(5)).build()) {
        TributaryException e = catchTyped(() -> anonymous.stream("secure").read("-1"));
        assertThat(e).isInstanceOf(TributaryException.Rejected.class);
        assertThat(e.reason()).isEqualTo(ErrorReason.UNAUTHORIZED);
      }
      TestPki other = new TestPki(Files.createDirectories(dir.resolve("other")));
      try (TributaryClient wrongCa = TributaryClient.builder().nodes(url).sslContext(other.clientContext())
          .token(() -> KEY).retryDeadline(Duration.ofSeconds(1)).build()) {
        TributaryException e = catchTyped(() -> wrongCa.stream("secure").read("-1"));
        assertThat(e).as("a server certificate from another CA is refused before any request")
            .isInstanceOf(TributaryException.NotSubmitted.class);
        assertThat(e.getCause()).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      }
    }
  }

  interface Op {
    void run() throws Exception;
  }

  private static TributaryException catchTyped(Op op) {
    try {
      op.run();
    } catch (TributaryException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a TributaryException, got " + e, e);
    }
    throw new AssertionError("expected a TributaryException, the call succeeded");
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }
}
