package io.tributary.service.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.tributary.testing.LocalNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: with {@code webhook-signing-key-file}, deliveries are signed with the file's first key,
 * {@code jwks.json} publishes the file's keys, a key put first in the file signs the next delivery
 * without a restart, and no private key goes into the data directory (without the file the
 * cluster's generated key does: checked too, so the check can fail). Method: one node, a JDK HTTP
 * receiver for webhooks, the JDK verifier against the published x; the data directory's files
 * searched for the log's private-key field.
 */
class WebhookKeyFileTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void deliveriesAreSignedWithTheFilesFirstKeyAndNoPrivateKeyIsStored() throws Exception {
    KeyPair a = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    KeyPair b = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path keyFile = dir.resolve("webhook-keys.pem");
    Files.writeString(keyFile, pem(a) + pem(b));
    LinkedBlockingQueue<String[]> deliveries = new LinkedBlockingQueue<>();
    HttpServer receiver = receiver(deliveries);
    try (LocalNode node = new LocalNode(dir.resolve("data"), Map.of("webhook-loopback-allowed", "true",
        "webhook-signing-key-file", keyFile.toString()))) {
      JsonNode jwks = JSON.readTree(node.send("GET", "/v1/stream/__ds/jwks.json", null, null).body());
      assertThat(jwks.path("keys").findValuesAsText("x")).containsExactly(x(a), x(b));
      String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
      var created = node.send("PUT", "/v1/stream/__ds/subscriptions/s", "application/json",
          "{\"type\":\"webhook\",\"streams\":[\"k/1\",\"k/2\"],\"webhook\":{\"url\":\"" + hook + "\"}}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      assertThat(JSON.readTree(created.body()).path("webhook").path("signing").path("kid").asText())
          .isEqualTo(jwks.path("keys").get(0).path("kid").asText());

      assertThat(node.send("PUT", "/v1/stream/k/1", "application/json", "{\"n\":1}").statusCode()).isEqualTo(201);
      String[] first = deliveries.poll(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(first).as("a delivery").isNotNull();
      assertThat(SigningKeyTest.verify(x(a), first[1], first[0].getBytes(StandardCharsets.UTF_8))).isTrue();

      // rotation: b first; the next delivery is signed with b, and both stay published
      Files.writeString(keyFile, pem(b) + pem(a));
      Files.setLastModifiedTime(keyFile, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(JSON.readTree(
          node.send("GET", "/v1/stream/__ds/jwks.json", null, null).body()).path("keys").findValuesAsText("x"))
          .containsExactly(x(b), x(a)));
      assertThat(node.send("PUT", "/v1/stream/k/2", "application/json", "{\"n\":2}").statusCode()).isEqualTo(201);
      String[] second = deliveries.poll(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(second).as("a second delivery").isNotNull();
      assertThat(SigningKeyTest.verify(x(b), second[1], second[0].getBytes(StandardCharsets.UTF_8))).isTrue();
    } finally {
      receiver.stop(0);
    }
    assertThat(filesContaining(dir.resolve("data"), "pkcs8")).as("private key fields in the data directory").isEmpty();

    // without the file the cluster's generated key is kept in the subscription log
    try (LocalNode node = new LocalNode(dir.resolve("data-2"), Map.of("webhook-loopback-allowed", "true"))) {
      assertThat(node.send("PUT", "/v1/stream/__ds/subscriptions/p", "application/json",
          "{\"type\":\"pull-wake\",\"streams\":[\"k/1\"],\"wake_stream\":\"w\"}").statusCode()).isEqualTo(201);
      assertThat(node.send("PUT", "/v1/stream/__ds/subscriptions/h", "application/json",
          "{\"type\":\"webhook\",\"streams\":[\"k/1\"],\"webhook\":{\"url\":\"http://127.0.0.1:9/h\"}}").statusCode())
          .isEqualTo(201);
    }
    assertThat(filesContaining(dir.resolve("data-2"), "pkcs8")).as("the generated key in the log").isNotEmpty();
  }

  private static HttpServer receiver(LinkedBlockingQueue<String[]> deliveries) throws IOException {
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    receiver.createContext("/hook", ex -> {
      byte[] raw = ex.getRequestBody().readAllBytes();
      deliveries.add(new String[] {new String(raw, StandardCharsets.UTF_8), ex.getRequestHeaders().getFirst("Webhook-Signature")});
      byte[] answer = "{\"done\":true}".getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    receiver.start();
    return receiver;
  }

  private static List<Path> filesContaining(Path root, String needle) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).filter(f -> {
        try {
          // ISO-8859-1 maps every byte to one char: a byte search, whatever the file holds
          return new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(needle);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).toList();
    }
  }

  private static String x(KeyPair kp) {
    byte[] spki = kp.getPublic().getEncoded();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length));
  }

  private static String pem(KeyPair kp) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(kp.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }
}
