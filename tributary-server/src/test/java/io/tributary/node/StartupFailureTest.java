package io.tributary.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.testing.ServerProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a node that cannot bind its HTTP port exits with status 1 instead of living on with Ratis
 * running and no HTTP listener (a launcher or supervisor would never learn it failed).
 *
 * <p>Method: hold the port with a socket of our own, start a node process on it, and expect the
 * process to exit before printing its listening line (well within the start timeout), with the
 * reason in its log.
 */
class StartupFailureTest {
  @TempDir
  Path dir;

  @Test
  void aNodeWhoseHttpPortIsTakenExits() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ServerProcess node = ServerProcess.builder(dir.resolve("data")).name("port-taken").logDir(dir)
          .setting("port", Integer.toString(taken.getLocalPort()))
          .startTimeout(Duration.ofSeconds(60))
          .build();
      try {
        assertThatThrownBy(node::start).isInstanceOf(IOException.class)
            .hasMessageContaining("exited with status " + TributaryServerMain.EXIT_START_FAILED);
        assertThat(Files.readString(node.stderrLog(), StandardCharsets.UTF_8)).contains("cannot start");
      } finally {
        node.close();
      }
    }
  }
}
