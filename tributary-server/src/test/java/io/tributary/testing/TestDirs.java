package io.tributary.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting a test's data directory once the nodes that wrote it have stopped. Stateless. */
public final class TestDirs {
  private TestDirs() {}

  /**
   * Deletes {@code dir} and everything below it (nothing if it does not exist). Stop every node
   * using it first: a running node keeps creating files (its health check's write probe, new
   * segments), and one created during the walk would leave a directory that cannot be removed.
   */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
