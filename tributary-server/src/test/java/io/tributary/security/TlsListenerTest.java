package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.common.Clock;
import io.tributary.config.ConfigException;
import io.tributary.config.TributaryConfig;
import io.tributary.node.TributaryNode;
import io.tributary.testing.LocalNode;
import io.tributary.tls.DevCertificates;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: with a certificate and key, the client and admin listeners speak HTTPS only, say so in
 * {@code Location}, and take a new certificate from disk without a restart, while a pair that
 * does not belong together (a rotation caught half-way) never replaces a good one.
 *
 * <p>Method: one node in this JVM with a certificate from a test CA for 127.0.0.1; clients that
 * trust only that CA (the JDK's {@code HttpClient}, which also checks the address against the
 * certificate's names, and raw {@code SSLSocket}s to see which certificate a new connection gets).
 * Reloads are observed through {@code /metrics} and the served serial, polled with a deadline.
 */
class TlsListenerTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private static Map<String, String> tls(TestPki pki, String name) {
    Map<String, String> m = new HashMap<>();
    m.put("tls-cert-file", pki.cert(name).toString());
    m.put("tls-key-file", pki.key(name).toString());
    m.put("tls-reload-interval-ms", "100");
    return m;
  }

  @Test
  void clientAndAdminListenersServeHttpsAndLocationSaysHttps(@TempDir Path dir) throws Exception {
    TestPki pki = new TestPki(dir);
    pki.node("n1");
    try (LocalNode node = new LocalNode(dir.resolve("data"), tls(pki, "n1"))) {
      int port = node.tributaryNode().port();
      HttpClient https = HttpClient.newBuilder().sslContext(pki.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();

      HttpResponse<String> created = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/stream/tls-a"))
          .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("hello")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(created.statusCode()).isEqualTo(201);
      assertThat(created.version()).as("no ALPN: HTTP/1.1").isEqualTo(HttpClient.Version.HTTP_1_1);
      assertThat(created.headers().firstValue("Location")).hasValue("https://127.0.0.1:" + port + "/v1/stream/tls-a");
      HttpResponse<String> read = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
          + "/v1/stream/tls-a?offset=-1")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(read.body()).isEqualTo("hello");

      String admin = "https://127.0.0.1:" + node.tributaryNode().adminPort();
      HttpResponse<String> cluster = https.send(HttpRequest.newBuilder(URI.create(admin + "/admin/cluster")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(cluster.statusCode()).as("admin listener over HTTPS, same certificate by default").isEqualTo(200);
      String metrics = https.send(HttpRequest.newBuilder(URI.create(admin + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("tributary_tls_certificate_not_after_seconds{listener=\"client\"}")
          .contains("tributary_tls_certificate_not_after_seconds{listener=\"admin\"}");
    }
  }

  @Test
  void theAdminListenerCanHaveItsOwnPair(@TempDir Path dir) throws Exception {
    TestPki pki = new TestPki(dir);
    BigInteger client = pki.node("n1").certificate().getSerialNumber();
    BigInteger admin = pki.node("n1-admin").certificate().getSerialNumber();
    Map<String, String> settings = tls(pki, "n1");
    settings.put("admin-tls-cert-file", pki.cert("n1-admin").toString());
    settings.put("admin-tls-key-file", pki.key("n1-admin").toString());
    try (LocalNode node = new LocalNode(dir.resolve("data"), settings)) {
      assertThat(pki.servedSerial(node.tributaryNode().port())).isEqualTo(client);
      assertThat(pki.servedSerial(node.tributaryNode().adminPort())).isEqualTo(admin);
    }
  }

  @Test
  void plainHttpToATlsPortGetsNoAnswer(@TempDir Path dir) throws Exception {
    TestPki pki = new TestPki(dir);
    pki.node("n1");
    try (LocalNode node = new LocalNode(dir.resolve("data"), tls(pki, "n1"))) {
      HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      for (int port : new int[] {node.tributaryNode().port(), node.tributaryNode().adminPort()}) {
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
            .as("plain HTTP to port %d", port).isInstanceOf(IOException.class);
      }
    }
  }

  @Test
  void aReplacedCertificateServesNewConnectionsWhileABrokenPairKeepsTheOldOne(@TempDir Path dir) throws Exception {
    TestPki pki = new TestPki(dir);
    BigInteger first = pki.node("n1").certificate().getSerialNumber();
    try (LocalNode node = new LocalNode(dir.resolve("data"), tls(pki, "n1"))) {
      int port = node.tributaryNode().port();
      assertThat(pki.servedSerial(port)).isEqualTo(first);
      try (SSLSocket open = pki.connect(port)) {
        // the operator renews: a new certificate from the same CA replaces the files
        BigInteger second = pki.node("n2").certificate().getSerialNumber();
        TestPki.copy(pki.cert("n2"), pki.cert("n1"));
        TestPki.copy(pki.key("n2"), pki.key("n1"));
        Awaitility.await().atMost(DEADLINE).until(() -> pki.servedSerial(port).equals(second));
        assertThat(TestPki.statusLine(open, "/healthz")).as("a connection from before keeps working")
            .isEqualTo("HTTP/1.1 200 OK");

        // the next rotation is caught half-way: the new certificate is there, its key is not yet
        // (the copies above are not atomic either, so a check may have rejected a pair before)
        long rejected = rejections(pki, node);
        DevCertificates.Issued third = pki.node("n3");
        TestPki.copy(pki.cert("n3"), pki.cert("n1"));
        Awaitility.await().atMost(DEADLINE).until(() -> rejections(pki, node) > rejected);
        assertThat(pki.servedSerial(port)).as("the mismatched pair is not served").isEqualTo(second);

        // the key lands: the pair is whole again and new connections get it
        TestPki.copy(pki.key("n3"), pki.key("n1"));
        Awaitility.await().atMost(DEADLINE).until(() -> pki.servedSerial(port).equals(third.certificate().getSerialNumber()));
        assertThat(metrics(pki, node)).contains("tributary_tls_reloads_total{listener=\"client\"} 2");
      }
    }
  }

  /** The admin listener's {@code /metrics}, over HTTPS. */
  private static String metrics(TestPki pki, LocalNode node) throws Exception {
    HttpClient https = HttpClient.newBuilder().sslContext(pki.clientContext()).build();
    return https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.tributaryNode().adminPort() + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static long rejections(TestPki pki, LocalNode node) throws Exception {
    String prefix = "tributary_tls_reloads_rejected_total{listener=\"client\"} ";
    return metrics(pki, node).lines().filter(l -> l.startsWith(prefix))
        .mapToLong(l -> Long.parseLong(l.substring(prefix.length()))).findFirst().orElseThrow();
  }

  @Test
  void aPairThatCannotServeFailsTheStartWithTheReason(@TempDir Path dir) throws Exception {
    TestPki pki = new TestPki(dir);
    pki.node("n1");
    pki.node("n2");
    Map<String, String> base = new HashMap<>(Map.of("port", "0", "peer-port", "0", "admin-port", "0",
        "data-dir", dir.resolve("data").toString()));

    Map<String, String> mismatched = new HashMap<>(base);
    mismatched.putAll(Map.of("tls-cert-file", pki.cert("n1").toString(), "tls-key-file", pki.key("n2").toString()));
    TributaryNode node = new TributaryNode(TributaryConfig.defaults().with(mismatched), Clock.SYSTEM);
    try {
      assertThatThrownBy(node::start).isInstanceOf(ConfigException.class).hasMessageContaining("--tls-cert-file")
          .hasMessageContaining("is not the private key of the certificate");
    } finally {
      node.close();
    }
    assertThat(dir.resolve("data")).as("nothing started").doesNotExist();

    Path garbage = Files.writeString(dir.resolve("garbage.crt"), "-----BEGIN CERTIFICATE-----\nnot base64\n");
    Map<String, String> unreadable = new HashMap<>(base);
    unreadable.putAll(Map.of("tls-cert-file", garbage.toString(), "tls-key-file", pki.key("n1").toString()));
    node = new TributaryNode(TributaryConfig.defaults().with(unreadable), Clock.SYSTEM);
    try {
      assertThatThrownBy(node::start).isInstanceOf(ConfigException.class).hasMessageContaining("garbage.crt");
    } finally {
      node.close();
    }

    assertThatThrownBy(() -> TributaryConfig.defaults().with(Map.of("tls-cert-file", pki.cert("n1").toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--tls-key-file");
    assertThatThrownBy(() -> TributaryConfig.defaults().with(Map.of("tls-cert-file", dir.resolve("none.crt").toString(),
        "tls-key-file", pki.key("n1").toString()))).isInstanceOf(ConfigException.class).hasMessageContaining("not a readable file");
  }

  @Test
  void anHttpS3EndpointIsRefusedUnlessAllowed() {
    Map<String, String> s3 = Map.of("object-store", "s3", "s3-bucket", "cold", "s3-endpoint", "http://127.0.0.1:9000");
    assertThatThrownBy(() -> TributaryConfig.defaults().with(s3)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("--s3-endpoint").hasMessageContaining("--s3-allow-http true");
    Map<String, String> allowed = new HashMap<>(s3);
    allowed.put("s3-allow-http", "true");
    assertThat(TributaryConfig.defaults().with(allowed).cold().s3Endpoint()).isEqualTo("http://127.0.0.1:9000");
    Map<String, String> https = new HashMap<>(s3);
    https.put("s3-endpoint", "https://s3.example.com");
    assertThat(TributaryConfig.defaults().with(https).cold().s3Endpoint()).isEqualTo("https://s3.example.com");
  }
}
