package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Clock;
import io.tributary.config.TributaryConfig;
import io.tributary.node.TributaryNode;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: each of a node's three planes answers only its own routes (docs/security.md). The client
 * listener serves streams and health and nothing internal; the admin listener serves the admin API
 * and metrics, never streams, and grants no cross-origin reads; the peer data listener serves only
 * the node-to-node transfer routes; Raft and the admin listener bind their own addresses, not the
 * client's.
 *
 * <p>Method: a 3-node cluster (separate processes, every listener on loopback) probed route by
 * route on every listener, with percent-encoded aliases of the internal paths; then one node in
 * this JVM whose client listener binds 127.0.0.2, probed by connecting to each port on both
 * addresses.
 */
class ListenerPlanesTest {
  private static final long SEED = Long.getLong("seed", System.nanoTime());
  private static final StreamClient CLIENT = new StreamClient(Duration.ofSeconds(15));
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Paths of the admin and peer planes, and aliases of them a router that compares raw paths would miss. */
  private static final List<String> ADMIN_PATHS = List.of("/admin/cluster", "/admin/groups", "/metrics", "/%6detrics",
      "/%61dmin/cluster", "/admin/streams?bucket=default", "/admin/stream?name=planes-probe",
      "/admin/tail?name=planes-probe&offset=-1");
  private static final List<String> PEER_PATHS = List.of("/internal/segment/0?from=0&to=1",
      "/%69nternal/segment/0?from=0&to=1", "/internal/segment/1?from=0&to=1");
  private static final String STREAM = "/v1/stream/planes-probe";
  private static ClusterNodes cluster;

  @BeforeAll
  static void start() throws Exception {
    Path work = ServerProcess.defaultLogDir().resolveSibling("planes").resolve("seed-" + SEED);
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(SEED)), ClusterNodes.DIRECT,
        Map.of("groups", "2"), CLIENT);
    cluster.startAll();
    cluster.awaitConverged(Duration.ofSeconds(90), "seed=" + SEED);
    cluster.create(cluster.member(0), "planes-probe", Duration.ofSeconds(30), "seed=" + SEED);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    CLIENT.close();
  }

  @Test
  void clientListenerServesStreamsAndHealthButNothingInternal() throws Exception {
    for (ClusterNodes.Member m : cluster.members()) {
      String base = m.baseUrl();
      HttpResponse<String> read = send("GET", base + STREAM + "?offset=-1");
      assertThat(read.statusCode()).as("%s: a stream read", m.id()).isEqualTo(200);
      assertThat(read.headers().firstValue("Access-Control-Allow-Origin")).as("CORS on the client plane").isPresent();
      // readiness itself may flap under load (an election after a slow heartbeat): this test is about
      // routing, so it checks that the readiness page answers, ready or saying why not
      HttpResponse<String> ready = send("GET", base + "/readyz");
      assertThat(ready.statusCode()).as("%s /readyz", m.id()).isIn(200, 503);
      assertThat(ready.body()).as("%s /readyz body", m.id()).matches("(?s)(ready\\n|.*not ready: .+)");
      for (String path : concat(ADMIN_PATHS, PEER_PATHS)) {
        for (String method : List.of("GET", "HEAD", "POST", "DELETE")) {
          HttpResponse<String> r = send(method, base + path);
          assertThat(r.statusCode()).as("%s: %s %s on the client listener", m.id(), method, path).isEqualTo(404);
          assertThat(r.body()).as("%s %s body", method, path).doesNotContain("tributary_").doesNotContain("\"groups\"");
        }
      }
    }
  }

  @Test
  void adminListenerServesAdminAndMetricsButNoStreamsAndNoCrossOriginGrant() throws Exception {
    for (ClusterNodes.Member m : cluster.members()) {
      String admin = m.adminUrl();
      HttpResponse<String> status = send("GET", admin + "/admin/cluster");
      assertThat(status.statusCode()).as("%s /admin/cluster", m.id()).isEqualTo(200);
      assertThat(status.body()).contains("\"node\":\"" + m.id() + "\"");
      HttpResponse<String> metrics = send("GET", admin + "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("tributary_connections");
      assertThat(send("GET", admin + "/%6detrics").statusCode()).as("an encoded alias is the same page").isEqualTo(200);
      HttpResponse<String> console = send("GET", admin + "/console/");
      assertThat(console.statusCode()).as("%s: the web console on the admin listener", m.id()).isEqualTo(200);
      assertThat(console.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("default-src 'self'");
      // a follower lists what it has applied: the probe stream arrives there shortly after its create
      HttpResponse<String> listing = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> send("GET", admin + "/admin/streams?bucket=default"), r -> r.body().contains("\"planes-probe\""));
      for (HttpResponse<String> r : List.of(status, metrics, console, listing, send("OPTIONS", admin + "/admin/cluster"))) {
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as("%s: no CORS grant on %s", m.id(),
            r.request().uri()).isEmpty();
      }
      for (String method : List.of("GET", "PUT", "POST", "DELETE")) {
        assertThat(send(method, admin + STREAM).statusCode()).as("%s: %s a stream on the admin listener", m.id(),
            method).isEqualTo(404);
        assertThat(send(method, admin + "/ds/planes-bucket").statusCode()).as("bucket route on admin").isEqualTo(404);
      }
      for (String path : PEER_PATHS) {
        assertThat(send("GET", admin + path).statusCode()).as("%s: %s on the admin listener", m.id(), path)
            .isEqualTo(404);
      }
    }
    assertThat(send("HEAD", cluster.member(0).baseUrl() + "/ds/planes-bucket").statusCode())
        .as("the PUT on the admin listener created no bucket").isEqualTo(404);
  }

  @Test
  void peerDataListenerServesOnlyTransferRoutes() throws Exception {
    for (ClusterNodes.Member m : cluster.members()) {
      String peer = "http://127.0.0.1:" + m.dataPort();
      // an empty range: the handler itself answers 400 (a missing route would be 404)
      assertThat(send("GET", peer + "/internal/segment/0?from=0&to=0").statusCode())
          .as("%s: the segment route exists on the peer listener", m.id()).isEqualTo(400);
      for (String path : concat(ADMIN_PATHS, List.of(STREAM + "?offset=-1", "/ds", "/readyz/x", "/console/", "/"))) {
        assertThat(send("GET", peer + path).statusCode()).as("%s: %s on the peer listener", m.id(), path)
            .isEqualTo(404);
      }
      assertThat(send("PUT", peer + "/v1/stream/created-on-peer-plane").statusCode()).isEqualTo(404);
      assertThat(send("GET", peer + "/admin/cluster").headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
    assertThat(send("HEAD", cluster.member(0).baseUrl() + "/v1/stream/created-on-peer-plane").statusCode())
        .as("the PUT on the peer listener created nothing").isEqualTo(404);
  }

  /** Raft and the admin listener bind loopback (127.0.0.1) while the client listener binds 127.0.0.2. */
  @Test
  void raftAndAdminDoNotBindTheClientAddress(@TempDir Path dir) throws Exception {
    int peerPort = ServerProcess.freePort();
    TributaryConfig config = TributaryConfig.defaults().with(Map.of("host", "127.0.0.2", "port", "0", "admin-port", "0",
        "peer-port", Integer.toString(peerPort), "data-dir", dir.resolve("data").toString()));
    try (TributaryNode node = new TributaryNode(config, Clock.SYSTEM)) {
      node.start();
      assertThat(connects("127.0.0.2", node.port())).as("client listener on the client address").isTrue();
      assertThat(connects("127.0.0.1", node.port())).as("client listener only on the client address").isFalse();
      assertThat(connects("127.0.0.1", peerPort)).as("Raft on the peer address (loopback)").isTrue();
      assertThat(connects("127.0.0.2", peerPort)).as("Raft not on the client address").isFalse();
      assertThat(connects("127.0.0.1", node.adminPort())).as("admin on loopback").isTrue();
      assertThat(connects("127.0.0.2", node.adminPort())).as("admin not on the client address").isFalse();
    }
  }

  private static boolean connects(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static HttpResponse<String> send(String method, String url) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "text/plain");
    b.method(method, method.equals("PUT") || method.equals("POST") ? HttpRequest.BodyPublishers.ofString("x")
        : HttpRequest.BodyPublishers.noBody());
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
