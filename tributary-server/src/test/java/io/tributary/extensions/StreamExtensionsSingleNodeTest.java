package io.tributary.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Offsets;
import io.tributary.testing.LocalNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link StreamExtensionsContract} against one in-process node. */
class StreamExtensionsSingleNodeTest extends StreamExtensionsContract {
  @TempDir
  static Path dir;
  static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, SETTINGS);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Override
  protected String url(String path) {
    return node.url(path);
  }

  /** Snapshot blob objects under the node's object store directory. */
  private static List<Path> snapshotObjects() throws Exception {
    Path root = dir.resolve("objects").resolve("snapshots");
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".blob")).toList();
    }
  }

  /**
   * Goal: a blob above snapshot-inline-bytes-max goes to the object store (only its key through
   * Raft), reads back byte-identical, and its object is deleted once replaced or once the stream
   * is deleted. Single node: its directory store is one every replica (itself) can read.
   */
  @Test
  void largeSnapshotsLiveInTheObjectStore() throws Exception {
    String p = path("objsnap");
    assertThat(send("PUT", p, "text/plain", "a").statusCode()).isEqualTo(201);
    assertThat(send("POST", p, "text/plain", "b").statusCode()).isEqualTo(204);
    List<Path> before = snapshotObjects();
    byte[] first = new byte[1024 * 1024 + 1];
    Arrays.fill(first, (byte) 7);
    assertThat(send("PUT", p + "/$snapshot/" + Offsets.format(1), "application/octet-stream", first).statusCode())
        .isEqualTo(204);
    List<Path> added = new ArrayList<>(snapshotObjects());
    added.removeAll(before);
    assertThat(added).as("one new object").hasSize(1);
    assertThat(send("GET", p + "/$snapshot/" + Offsets.format(1), null, (String) null).body()).isEqualTo(first);
    Multipart boot = Multipart.parse(send("GET", p + "/$bootstrap", null, (String) null));
    assertThat(boot.parts().get(0).body()).isEqualTo(first);

    byte[] second = new byte[2 * 1024 * 1024];
    Arrays.fill(second, (byte) 9);
    assertThat(send("PUT", p + "/$snapshot/" + Offsets.format(2), "application/octet-stream", second).statusCode())
        .isEqualTo(204);
    Awaitility.await("the replaced snapshot's object is deleted").atMost(Duration.ofSeconds(10))
        .until(() -> !Files.exists(added.get(0)));
    assertThat(send("GET", p + "/$snapshot/" + Offsets.format(2), null, (String) null).body()).isEqualTo(second);
    List<Path> now = new ArrayList<>(snapshotObjects());
    now.removeAll(before);
    assertThat(now).hasSize(1);
    assertThat(send("DELETE", p, null, (String) null).statusCode()).isEqualTo(204);
    Awaitility.await("a deleted stream's snapshot object is deleted").atMost(Duration.ofSeconds(10))
        .until(() -> !Files.exists(now.get(0)));
  }
}
