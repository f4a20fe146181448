package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Goal: one principal cannot hold more than its share of a node's live reads and request slots,
 * another principal is served meanwhile, and every slot comes back exactly once when what held it
 * ends (docs/security.md, "Quotas and limits").
 *
 * <p>Method: one node with API keys for alice, bob, carol and an admin, and small limits: 2 SSE
 * subscribers, 2 parked long-polls and 3 requests in flight per principal; long-polls wait 30 s, so
 * a parked one stays parked for the whole test. Each held request is a real socket. Alice fills her
 * SSE slots and her third subscription gets 429 while bob's is served; carol fills her long-poll
 * slots and her third gets 429; alice's parked long-poll then makes her third request in flight,
 * so her next request of any kind gets 429 while bob's passes. Then clients hang up: each freed
 * slot is taken again, and once every socket is closed alice gets exactly her limits again (a
 * leaked slot would refuse her early, a slot returned twice would let her past the limit). Parked
 * long-polls are observed through the node's {@code tributary_long_polls} gauge, never by sleeping.
 */
class PrincipalLimitsTest {
  private static final String ALICE = "alice-key-" + "a".repeat(20);
  private static final String BOB = "bob-key-" + "b".repeat(20);
  private static final String CAROL = "carol-key-" + "c".repeat(20);
  private static final String ADMIN = "admin-key-" + "x".repeat(20);
  private static final String SSE = "/ds/shared/feed?offset=now&live=sse";
  private static final String LONG_POLL = "/ds/shared/feed?offset=now&live=long-poll";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("principal-limits");
    Files.writeString(dir.resolve("keys"), String.join("\n",
        "alice " + sha256(ALICE) + " *:shared",
        "bob " + sha256(BOB) + " *:shared",
        "carol " + sha256(CAROL) + " *:shared",
        "admin " + sha256(ADMIN) + " admin:*", ""));
    node = new LocalNode(dir.resolve("data"), Map.of(
        "auth-api-keys-file", dir.resolve("keys").toString(),
        "principal-sse-subscribers-max", "2",
        "principal-long-polls-max", "2",
        "principal-requests-max", "3",
        "long-poll-timeout-ms", "30000"));
    assertThat(send("PUT", "/ds/shared", ADMIN).statusCode()).isEqualTo(201);
    HttpRequest create = request("/ds/shared/feed", ALICE).header("Content-Type", "text/plain")
        .PUT(HttpRequest.BodyPublishers.ofString("x")).build();
    assertThat(HTTP.send(create, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void eachPrincipalGetsItsShareAndFreedSlotsComeBackExactlyOnce() throws Exception {
    List<Held> all = new ArrayList<>();
    try {
      // alice fills her SSE slots; the third subscription is refused, bob's is served
      Held aliceSse1 = hold(all, SSE, ALICE);
      Held aliceSse2 = hold(all, SSE, ALICE);
      assertThat(aliceSse1.status()).isEqualTo(200);
      assertThat(aliceSse2.status()).isEqualTo(200);
      expectRefused(hold(all, SSE, ALICE), "principal-sse-subscribers-max");
      assertThat(hold(all, SSE, BOB).status()).as("bob's subscription while alice is at her limit").isEqualTo(200);

      // carol parks two long-polls; the third is refused
      Held carolPoll1 = hold(all, LONG_POLL, CAROL);
      awaitParked(1);
      hold(all, LONG_POLL, CAROL);
      awaitParked(2);
      expectRefused(hold(all, LONG_POLL, CAROL), "principal-long-polls-max");

      // alice's parked long-poll is her third request in flight: any further request of hers is refused
      hold(all, LONG_POLL, ALICE);
      awaitParked(3);
      HttpResponse<String> head = send("HEAD", "/ds/shared/feed", ALICE);
      assertThat(head.statusCode()).as("alice's HEAD with 3 requests in flight").isEqualTo(429);
      assertThat(head.headers().firstValue("Tributary-Limit")).hasValue("principal-requests-max");
      assertThat(head.headers().firstValue("Retry-After")).isPresent();
      assertThat(send("HEAD", "/ds/shared/feed", BOB).statusCode()).as("bob's HEAD").isEqualTo(200);

      // alice hangs up one subscription: her request slot and her SSE slot both come back
      aliceSse1.close();
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> send("HEAD", "/ds/shared/feed", ALICE).statusCode() == 200);
      assertThat(hold(all, SSE, ALICE).status()).as("alice's subscription in the freed slot").isEqualTo(200);
      // carol hangs up a parked long-poll: its slot is taken again, and the one after is refused again
      carolPoll1.close();
      awaitParked(2);
      hold(all, LONG_POLL, CAROL);
      awaitParked(3);
      expectRefused(hold(all, LONG_POLL, CAROL), "principal-long-polls-max");

      // everyone leaves; alice then gets exactly her limits again
      for (Held h : all) {
        h.close();
      }
      all.clear();
      awaitParked(0);
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        try (Held probe = new Held(SSE, ALICE)) {
          assertThat(probe.status()).as("a subscription once alice's old ones are gone").isEqualTo(200);
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sseGauge() == 0);
      assertThat(hold(all, SSE, ALICE).status()).isEqualTo(200);
      assertThat(hold(all, SSE, ALICE).status()).isEqualTo(200);
      expectRefused(hold(all, SSE, ALICE), "principal-sse-subscribers-max");
      hold(all, LONG_POLL, ALICE);
      awaitParked(1);
      assertThat(send("HEAD", "/ds/shared/feed", ALICE).statusCode()).as("alice's fourth request").isEqualTo(429);
      assertThat(gauge("tributary_principal_limit_refused_total{limit=\"principal-sse-subscribers-max\"}"))
          .as("SSE refusals counted").isGreaterThanOrEqualTo(2);
      assertThat(gauge("tributary_principal_limit_refused_total{limit=\"principal-requests-max\"}"))
          .as("request refusals counted").isGreaterThanOrEqualTo(2);
    } finally {
      for (Held h : all) {
        h.close();
      }
    }
  }

  private static void expectRefused(Held h, String limit) throws IOException {
    String head = h.head();
    assertThat(head).as("refusal by %s", limit).startsWith("HTTP/1.1 429");
    assertThat(head.toLowerCase(java.util.Locale.ROOT)).contains("retry-after: ").contains("tributary-limit: " + limit);
  }

  private static void awaitParked(int n) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> gauge("tributary_long_polls") == n);
  }

  private static long sseGauge() throws Exception {
    return gauge("tributary_sse_subscribers");
  }

  private static long gauge(String name) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(node.adminUrl("/metrics"))).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + ADMIN).build();
    for (String line : HTTP.send(r, HttpResponse.BodyHandlers.ofString()).body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Long.parseLong(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + name + " in /metrics");
  }

  private static Held hold(List<Held> all, String path, String token) throws IOException {
    Held h = new Held(path, token);
    all.add(h);
    return h;
  }

  private static HttpRequest.Builder request(String path, String token) {
    return HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token);
  }

  private static HttpResponse<String> send(String method, String path, String token) throws Exception {
    return HTTP.send(request(path, token).method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** A GET held open on its own socket: an SSE subscription, or a long-poll the node parks. */
  private static final class Held implements AutoCloseable {
    private final Socket socket = new Socket();
    private String head;

    Held(String path, String token) throws IOException {
      socket.connect(new InetSocketAddress("127.0.0.1", node.tributaryNode().port()), 5000);
      socket.setSoTimeout(10_000); // a response that never comes fails the test instead of hanging it
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }

    /** The response head (status line and headers); blocks until it arrives. */
    String head() throws IOException {
      if (head == null) {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
          int c = in.read();
          if (c < 0) {
            throw new IOException("connection closed before the response head: " + b);
          }
          b.write(c);
        }
        head = b.toString(StandardCharsets.ISO_8859_1);
      }
      return head;
    }

    int status() throws IOException {
      return Integer.parseInt(head().substring(9, 12));
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
