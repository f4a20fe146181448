package io.tributary.extensions;

import io.tributary.testing.LocalNode;
import java.nio.file.Path;
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
}
