package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import io.tributary.tls.ClientTls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * Goal: with mutual TLS on the peer plane (the data listener and the Raft port), only the
 * cluster's nodes fetch segments, and a follower still catches up by snapshot (docs/security.md).
 *
 * <p>Method: a development CA issues n1..n3 and a client certificate "mallory"; a second CA issues
 * another "n2". A 3-node cluster runs with each node's own certificate. Its data port is probed
 * with plain HTTP, with HTTPS and no client certificate, with mallory's certificate (right CA,
 * not a node), with the rogue CA's n2 — all refused before any byte of data — and with the real
 * n2 (answered). Then n3 is killed, the leaders write far past what their logs keep, and n3,
 * restarted, installs the snapshots it fetches over mutual TLS and serves every append. The Raft
 * port is under the same mutual TLS (every write here goes through n1, which forwards what it
 * does not lead) and SOFAJRaft moves the snapshots over it; {@link PeerPlaneAttackTest} attacks
 * that port.
 */
class PeerMutualTlsTest {
  private static final long SEED = Long.getLong("seed", System.nanoTime());

  @Test
  void onlyClusterNodesFetchAndAFollowerCatchesUpOverMutualTls() throws Exception {
    Path work = ServerProcess.defaultLogDir().resolveSibling("peer-mtls").resolve("seed-" + SEED);
    Path certs = work.resolve("certs");
    Path rogue = work.resolve("rogue");
    ClusterNodes.writeTestPki(certs, rogue);

    try (StreamClient client = new StreamClient(Duration.ofSeconds(15));
        ClusterNodes cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(SEED)),
            ClusterNodes.DIRECT, ClusterNodes.DIRECT_HTTP, Map.of("groups", "2", "snapshot-interval-entries", "100"),
            m -> Map.of("peer-tls-cert-file", certs.resolve(m.id() + ".crt").toString(),
                "peer-tls-key-file", certs.resolve(m.id() + ".key").toString(),
                "peer-tls-ca-file", certs.resolve("ca.crt").toString()), client)) {
      String ctx = "seed=" + SEED + ", logs in " + work;
      cluster.startAll();
      cluster.awaitConverged(Duration.ofSeconds(90), ctx);
      int dataPort = cluster.member(0).dataPort();
      String https = "https://127.0.0.1:" + dataPort + "/internal/segment/0?from=0&to=0";

      assertThatThrownBy(() -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + dataPort + "/internal/segment/0?from=0&to=0"))
          .as("plain HTTP to the peer data port").isInstanceOf(IOException.class);
      assertThatThrownBy(() -> get(trustingOnly(certs.resolve("ca.crt")), https))
          .as("HTTPS without a client certificate").isInstanceOf(IOException.class);
      assertThatThrownBy(() -> get(mutual(certs, "mallory"), https))
          .as("a certificate from the cluster CA that names no node").isInstanceOf(IOException.class);
      assertThatThrownBy(() -> get(HttpClient.newBuilder().sslContext(ClientTls.mutual(rogue.resolve("n2.crt"),
          rogue.resolve("n2.key"), certs.resolve("ca.crt"))).build(), https))
          .as("n2's name from another CA").isInstanceOf(IOException.class);
      assertThat(get(mutual(certs, "n2"), https).statusCode()).as("the real n2 reaches the route (an empty range: 400)")
          .isEqualTo(400);

      Map<String, StringBuilder> expected = new LinkedHashMap<>();
      for (int s = 0; s < 4; s++) {
        cluster.create(cluster.member(0), "mtls-" + s, Duration.ofSeconds(30), ctx);
        expected.put("mtls-" + s, new StringBuilder());
      }
      append(client, cluster.member(0), expected, 0, 10);
      cluster.process(2).kill9();
      // far past two snapshot intervals in every group: n3's logs are purged on the leaders
      append(client, cluster.member(0), expected, 10, 510);
      cluster.process(2).restart();
      cluster.awaitConverged(Duration.ofSeconds(120), "after n3's restart, " + ctx);
      String log = Files.readString(cluster.process(2).stderrLog(), StandardCharsets.UTF_8);
      // through SOFAJRaft's own file transfer on the Raft port, under the same mutual TLS
      assertThat(log).as("n3 installed a snapshot it fetched [%s]", ctx).contains("installed snapshot");
      for (Map.Entry<String, StringBuilder> e : expected.entrySet()) {
        await("n3 serves " + e.getKey()).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
            .until(() -> new String(client.read(cluster.member(2).baseUrl(), e.getKey(), "-1").body(),
                StandardCharsets.UTF_8).equals(e.getValue().toString()));
      }
    }
  }

  private static void append(StreamClient client, ClusterNodes.Member via, Map<String, StringBuilder> expected, int from,
      int to) throws Exception {
    for (int i = from; i < to; i++) {
      for (Map.Entry<String, StringBuilder> e : expected.entrySet()) {
        String m = "<" + e.getKey() + ":" + i + ">";
        HttpResponse<byte[]> r = client.append(via.baseUrl(), e.getKey(), ProducerLedger.CONTENT_TYPE,
            m.getBytes(StandardCharsets.UTF_8),
            null);
        assertThat(r.statusCode()).as("append %s to %s", i, e.getKey()).isEqualTo(204);
        e.getValue().append(m);
      }
    }
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpClient mutual(Path certs, String name) throws Exception {
    return HttpClient.newBuilder().sslContext(ClientTls.mutual(certs.resolve(name + ".crt"),
        certs.resolve(name + ".key"), certs.resolve("ca.crt"))).build();
  }

  private static HttpClient trustingOnly(Path ca) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, new char[0]);
    trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(Files.newInputStream(ca)));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).build();
  }
}
