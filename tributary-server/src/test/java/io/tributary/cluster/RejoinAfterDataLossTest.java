package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a node whose data directory is wiped rejoins the cluster and catches up through snapshot
 * installation (the leaders' logs no longer reach back to the start), ending with exactly the
 * same stream contents as the others.
 *
 * <p>Method, as a story: three node processes (two groups, snapshots every 100 entries and 64 KiB
 * Raft log segments, so logs are purged early) take appends through every node. Node n3 is killed with SIGKILL and its data dir
 * deleted; more appends land on the two survivors. n3 starts again on an empty dir with
 * {@code --rejoin true}: it leaves and re-joins each group as a new member, each group's leader
 * tells it to install a snapshot, it fetches metadata and segments from the leader, then replays
 * the log tail. We wait (with a deadline) until n3 reports no apply lag at the others' commit
 * indexes, check its log shows the snapshot installation, and compare every stream read through
 * n3 with the acknowledged appends and with n1's copy, byte for byte.
 */
class RejoinAfterDataLossTest {
  private static final int NODES = 3;
  private static final int STREAMS = 6;
  @TempDir
  Path dir;
  private final List<ServerProcess> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stopAll() {
    nodes.forEach(ServerProcess::close);
  }

  @Test
  void wipedNodeRejoinsThroughSnapshotInstallation() throws Exception {
    int[] httpPorts = new int[NODES];
    int[] raftPorts = new int[NODES];
    StringBuilder peers = new StringBuilder();
    for (int i = 0; i < NODES; i++) {
      httpPorts[i] = ServerProcess.freePort();
      raftPorts[i] = ServerProcess.freePort();
      // the peer data listener (snapshot downloads) on its own port
      peers.append(i > 0 ? "," : "").append("n").append(i + 1).append("=127.0.0.1:").append(raftPorts[i]).append(':')
          .append(ServerProcess.freePort());
    }
    for (int i = 0; i < NODES; i++) {
      ServerProcess p = node(i, httpPorts, raftPorts, peers.toString(), false);
      p.start();
      nodes.add(p);
    }
    awaitReady(nodes);

    Map<String, StringBuilder> expected = new LinkedHashMap<>();
    try (StreamClient client = new StreamClient(Duration.ofSeconds(20))) {
      for (int s = 0; s < STREAMS; s++) {
        String name = "rejoin-" + s;
        assertThat(client.create(nodes.get(0).baseUrl(), name, "text/plain").statusCode()).isEqualTo(201);
        expected.put(name, new StringBuilder());
      }
      appendRound(client, expected, nodes, 0, 40);

      ServerProcess n3 = nodes.get(2);
      n3.kill9();
      deleteTree(n3.dataDir());
      appendRound(client, expected, nodes.subList(0, 2), 40, 60);

      ServerProcess rejoined = node(2, httpPorts, raftPorts, peers.toString(), true);
      nodes.set(2, rejoined);
      rejoined.start();
      awaitCaughtUp(rejoined, nodes.get(0));
      assertThat(Files.readString(rejoined.stderrLog())).as("n3 log shows snapshot installations")
          .contains("group 0: received snapshot").contains("group 1: received snapshot");

      for (Map.Entry<String, StringBuilder> e : expected.entrySet()) {
        String onN3 = readAll(client, rejoined.baseUrl(), e.getKey());
        String onN1 = readAll(client, nodes.get(0).baseUrl(), e.getKey());
        assertThat(onN3).as("%s through the rejoined node", e.getKey()).isEqualTo(e.getValue().toString());
        assertThat(onN3).as("%s identical on n1 and n3", e.getKey()).isEqualTo(onN1);
      }
    }
  }

  private ServerProcess node(int i, int[] httpPorts, int[] raftPorts, String peers, boolean rejoin) {
    ServerProcess.Builder b = ServerProcess.builder(dir.resolve("n" + (i + 1)))
        .name("rejoin-n" + (i + 1))
        .setting("node-id", "n" + (i + 1))
        .setting("port", Integer.toString(httpPorts[i]))
        .setting("peer-port", Integer.toString(raftPorts[i]))
        .setting("peers", peers)
        .setting("groups", "2")
        .setting("snapshot-interval-entries", "100")
        .setting("election-timeout-min-ms", "500")
        .setting("election-timeout-max-ms", "1000")
        .setting("long-poll-timeout-ms", "500")
        .startTimeout(Duration.ofSeconds(120));
    if (rejoin) {
      b.setting("rejoin", "true");
    }
    return b.build();
  }

  /** Appends {@code count} rounds (one append per stream each), cycling through {@code via}. */
  private static void appendRound(StreamClient client, Map<String, StringBuilder> expected, List<ServerProcess> via,
      int first, int count) throws Exception {
    int k = 0;
    for (int round = first; round < first + count; round++) {
      for (Map.Entry<String, StringBuilder> e : expected.entrySet()) {
        String body = e.getKey() + ":" + round + ";";
        ServerProcess target = via.get(k++ % via.size());
        // as the stream's idempotent producer (seq = round): a 503 may leave the outcome unknown (a
        // forwarded write that timed out can still commit), and only a retry with the same
        // producer headers cannot append it twice (seen on a loaded box without them: a duplicate)
        StreamClient.Producer producer = new StreamClient.Producer("producer-" + e.getKey(), 1, round);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
          int status = client.append(target.baseUrl(), e.getKey(), "text/plain",
              body.getBytes(StandardCharsets.UTF_8), producer).statusCode();
          assertThat(status).as("append to %s via %s", e.getKey(), target.name()).isIn(200, 204, 503);
          return status != 503;
        });
        e.getValue().append(body);
      }
    }
  }

  private void awaitReady(List<ServerProcess> all) {
    for (ServerProcess p : all) {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
          .until(() -> get(p.baseUrl() + "/readyz").statusCode() == 200);
    }
  }

  /** The joiner has applied exactly what the reference has, in every group, with no lag. */
  private void awaitCaughtUp(ServerProcess joiner, ServerProcess reference) {
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
      String mine = get(joiner.adminUrl() + "/admin/groups").body();
      String theirs = get(reference.adminUrl() + "/admin/groups").body();
      return !mine.contains("\"leader\":\"null\"") && appliedIndexes(mine).equals(appliedIndexes(theirs))
          && mine.contains("\"lag\":0") && !mine.matches(".*\"lag\":[1-9].*");
    });
  }

  private static List<String> appliedIndexes(String json) {
    List<String> out = new ArrayList<>();
    var m = java.util.regex.Pattern.compile("\"appliedIndex\":(-?\\d+)").matcher(json);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String readAll(StreamClient client, String base, String stream) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (StreamClient.Chunk c : client.readAll(base, stream, 1000)) {
      assertThat(c.status()).as("read %s from %s", stream, base).isEqualTo(200);
      sb.append(new String(c.body(), StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
