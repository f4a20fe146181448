package io.tributary.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: an Ursula client works against {@code /{bucket}/{stream}} with Ursula's own paths: it
 * creates its bucket, writes, publishes a snapshot, trims, bootstraps, races conditional appends,
 * lists and deletes, and {@code Stream-Incarnation} keeps it from writing to (or reading) a
 * stream that was deleted and re-created behind its back. Method: one in-process node, plain
 * HTTP requests in the order a client makes them, each step asserting what the client relies on.
 */
@Timeout(120)
class UrsulaRoutesStoryTest {
  @TempDir
  static Path dir;
  static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, StreamExtensionsContract.SETTINGS);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  private static String tail(String path) throws Exception {
    return header(node.send("HEAD", path, null, null), "Stream-Next-Offset");
  }

  @Test
  void snapshotRetentionBootstrapThroughUrsulaPaths() throws Exception {
    // the bucket first, as an Ursula client does; the stream is one segment below it
    assertThat(node.send("PUT", "/notes", null, null).statusCode()).isEqualTo(201);
    assertThat(node.send("PUT", "/notes", null, null).statusCode()).isEqualTo(200);
    var created = node.send("PUT", "/notes/doc", "text/plain", null);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(header(created, "Stream-Incarnation")).matches("[0-9]+");

    for (String m : List.of("a\n", "b\n")) {
      assertThat(node.send("POST", "/notes/doc", "text/plain", m).statusCode()).isEqualTo(204);
    }
    String snapAt = tail("/notes/doc");
    assertThat(node.send("POST", "/notes/doc", "text/plain", "c\n").statusCode()).isEqualTo(204);

    // the application publishes its state after "a", "b" at that offset: 204 with the digest
    var published = node.send("PUT", "/notes/doc/snapshot/" + snapAt, "application/x-doc", "state-ab");
    assertThat(published.statusCode()).isEqualTo(204);
    assertThat(header(published, "Stream-Snapshot-Digest")).startsWith("sha256:");
    // and it did not become a stream called "doc/snapshot/…"
    assertThat(node.send("GET", "/ds/notes/doc/snapshot/" + snapAt + "?offset=-1", null, null).statusCode())
        .isEqualTo(404);

    // latest snapshot: a redirect to Ursula's path, which serves the blob
    var latest = node.send("GET", "/notes/doc/snapshot", null, null);
    assertThat(latest.statusCode()).isEqualTo(307);
    assertThat(header(latest, "Location")).isEqualTo("/notes/doc/snapshot/" + snapAt);
    var blob = node.send("GET", header(latest, "Location"), null, null);
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(blob.body()).isEqualTo("state-ab");
    assertThat(header(blob, "Content-Type")).isEqualTo("application/x-doc");

    // trim up to the snapshot: history before it is gone, the bootstrap covers it
    assertThat(node.send("PUT", "/notes/doc/retention/" + snapAt, null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("GET", "/notes/doc?offset=-1", null, null).statusCode()).isEqualTo(410);
    Multipart boot = Multipart.parse(node.sendForBytes("GET", "/notes/doc/bootstrap", null, null));
    assertThat(boot.bodies()).containsExactly("state-ab", "c\n");
    assertThat(boot.header("Stream-Snapshot-Offset")).isEqualTo(snapAt);
    assertThat(boot.header("Stream-Next-Offset")).isEqualTo(tail("/notes/doc"));
    assertThat(node.send("GET", "/notes/doc/bootstrap?live=sse", null, null).statusCode()).isEqualTo(400);

    // deeper paths are refused with a reason and create nothing
    var deep = node.send("PUT", "/notes/doc/snapshots/" + snapAt, "text/plain", "x");
    assertThat(deep.statusCode()).isEqualTo(404);
    assertThat(deep.body()).contains("one path segment");
    assertThat(node.send("POST", "/notes/doc/retention/" + snapAt + "/x", "text/plain", "x").statusCode())
        .isEqualTo(404);

    var list = node.send("GET", "/notes/streams", null, null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains("\"name\":\"doc\"").doesNotContain("snapshot");

    // a bucket is deleted only once empty
    assertThat(node.send("DELETE", "/notes", null, null).statusCode()).isEqualTo(409);
    assertThat(node.send("DELETE", "/notes/doc", null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("DELETE", "/notes", null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("PUT", "/notes/doc", "text/plain", null).statusCode()).isEqualTo(404);
  }

  @Test
  void conditionalAppendsRaceAndExactlyOneWinsEachRound() throws Exception {
    assertThat(node.send("PUT", "/race", null, null).statusCode()).isEqualTo(201);
    String incarnation = header(node.send("PUT", "/race/counter", "text/plain", "0\n"), "Stream-Incarnation");
    for (int round = 0; round < 10; round++) {
      // both writers read the same tail, then both try to append at it
      String seen = tail("/race/counter");
      List<CompletableFuture<HttpResponse<String>>> writers = new ArrayList<>();
      for (String who : List.of("left", "right")) {
        writers.add(node.sendAsync("POST", "/race/counter", "text/plain", who + round + "\n", "If-Match", seen,
            "Stream-Incarnation", incarnation));
      }
      List<Integer> statuses = new ArrayList<>();
      for (var w : writers) {
        HttpResponse<String> r = w.join();
        statuses.add(r.statusCode());
        if (r.statusCode() == 412) {
          // the loser learns the new tail from the refusal and could retry from there
          assertThat(header(r, "Stream-Next-Offset")).isEqualTo(tail("/race/counter"));
        } else {
          assertThat(header(r, "Stream-Incarnation")).isEqualTo(incarnation);
        }
      }
      assertThat(statuses).as("round %d", round).containsExactlyInAnyOrder(204, 412);
    }
    String all = node.send("GET", "/race/counter?offset=-1", null, null).body();
    assertThat(all.lines()).hasSize(11);
  }

  @Test
  void streamIncarnationRefusesAStreamDeletedAndRecreatedBehindTheClientsBack() throws Exception {
    assertThat(node.send("PUT", "/inc", null, null).statusCode()).isEqualTo(201);
    var first = node.send("PUT", "/inc/log", "text/plain", "one\n");
    String old = header(first, "Stream-Incarnation");
    assertThat(header(node.send("HEAD", "/inc/log", null, null), "Stream-Incarnation")).isEqualTo(old);
    assertThat(node.send("POST", "/inc/log", "text/plain", "two\n", "Stream-Incarnation", old).statusCode())
        .isEqualTo(204);

    // someone else deletes the stream and creates a new one at the same path
    assertThat(node.send("DELETE", "/inc/log", null, null).statusCode()).isEqualTo(204);
    var second = node.send("PUT", "/inc/log", "text/plain", "fresh\n");
    assertThat(second.statusCode()).isEqualTo(201);
    String current = header(second, "Stream-Incarnation");
    assertThat(current).isNotEqualTo(old);
    String tailBefore = tail("/inc/log");

    // the client still holding the old incarnation is refused on every operation, on every family
    for (String path : List.of("/inc/log", "/ds/inc/log")) {
      var append = node.send("POST", path, "text/plain", "stale\n", "Stream-Incarnation", old);
      assertThat(append.statusCode()).as("POST %s", path).isEqualTo(412);
      assertThat(header(append, "Stream-Incarnation")).isEqualTo(current);
      assertThat(append.body()).contains("re-created");
      assertThat(node.send("GET", path + "?offset=-1", null, null, "Stream-Incarnation", old).statusCode())
          .isEqualTo(412);
      assertThat(node.send("HEAD", path, null, null, "Stream-Incarnation", old).statusCode()).isEqualTo(412);
    }
    assertThat(node.send("PUT", "/inc/log/snapshot/" + tailBefore, "text/plain", "s", "Stream-Incarnation", old)
        .statusCode()).isEqualTo(412);
    assertThat(node.send("GET", "/inc/log/bootstrap", null, null, "Stream-Incarnation", old).statusCode())
        .isEqualTo(412);
    assertThat(node.send("PUT", "/inc/log", "text/plain", null, "Stream-Incarnation", old).statusCode())
        .isEqualTo(412);
    assertThat(node.send("DELETE", "/inc/log", null, null, "Stream-Incarnation", old).statusCode()).isEqualTo(412);
    assertThat(tail("/inc/log")).as("nothing was written").isEqualTo(tailBefore);
    assertThat(node.send("GET", "/inc/log?offset=-1", null, null).body()).isEqualTo("fresh\n");

    // with the current incarnation everything goes through; a malformed one is a 400
    assertThat(node.send("POST", "/inc/log", "text/plain", "ok\n", "Stream-Incarnation", current).statusCode())
        .isEqualTo(204);
    assertThat(node.send("POST", "/inc/log", "text/plain", "x\n", "Stream-Incarnation", "latest").statusCode())
        .isEqualTo(400);
    assertThat(node.send("DELETE", "/inc/log", null, null, "Stream-Incarnation", current).statusCode())
        .isEqualTo(204);
    // gone: re-creating under the old name is refused too (it would make yet another incarnation)
    assertThat(node.send("PUT", "/inc/log", "text/plain", null, "Stream-Incarnation", current).statusCode())
        .isEqualTo(412);
    assertThat(node.send("HEAD", "/inc/log", null, null).statusCode()).isEqualTo(404);
  }
}
