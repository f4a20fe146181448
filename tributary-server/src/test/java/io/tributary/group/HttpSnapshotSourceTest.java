package io.tributary.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.tributary.config.ConfigLoader;
import io.tributary.testing.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Goal: a segment range download from a peer that stops sending (a repair of a damaged record)
 * fails within {@code request-timeout-ms} instead of hanging, so the repair thread moves on to
 * another peer or retries later rather than waiting for good.
 *
 * <p>Method: a stand-in peer (the JDK's HTTP server on loopback) that either never answers, or
 * answers 200 and sends a few body bytes, then nothing; the source is configured with a 2 s
 * stall limit. Opening (no head) and reading (body stalls) must each fail with an
 * {@link IOException} naming the stall, within 3 s more; the stand-in is released after.
 */
class HttpSnapshotSourceTest {
  /** Generous: the stand-in's own response head must arrive within it on a loaded 2-core box. */
  private static final long STALL_MAX_MILLIS = 2000;
  private static final Duration FAIL_WITHIN = Duration.ofMillis(STALL_MAX_MILLIS).plusSeconds(3);
  private static final byte[] FIRST_BYTES = {1, 2, 3, 4};

  private final CountDownLatch release = new CountDownLatch(1);
  private HttpServer peer;
  private HttpSnapshotSource source;

  @BeforeEach
  void startStandIn() throws IOException {
    peer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    peer.createContext("/internal/segment/0", exchange -> {
      awaitRelease(); // no response head
      exchange.close();
    });
    peer.createContext("/internal/segment/1", exchange -> {
      exchange.sendResponseHeaders(200, 100); // the range's length, as the segment route announces it
      OutputStream body = exchange.getResponseBody();
      body.write(FIRST_BYTES);
      body.flush();
      awaitRelease(); // then the body stalls
      exchange.close();
    });
    peer.start();
    String peers = "n1=127.0.0.1:" + ServerProcess.freePort() + ":" + ServerProcess.freePort()
        + ",n2=127.0.0.1:" + ServerProcess.freePort() + ":" + peer.getAddress().getPort();
    source = new HttpSnapshotSource(ConfigLoader.load(List.of("--node-id", "n1", "--peers", peers,
        "--request-timeout-ms", Long.toString(STALL_MAX_MILLIS)), Map.of()));
  }

  @AfterEach
  void stopStandIn() {
    release.countDown();
    peer.stop(0);
  }

  @Test
  void aPeerThatSendsNoResponseHeadFailsTheOpen() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> source.open("n2", 0, 0, 100)).isInstanceOf(IOException.class)
        .hasMessageContaining("no response head within " + STALL_MAX_MILLIS + " ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAIL_WITHIN);
  }

  @Test
  void aBodyThatStallsFailsTheRead() throws IOException {
    try (InputStream in = source.open("n2", 1, 0, 100)) {
      assertThat(in.readNBytes(FIRST_BYTES.length)).containsExactly(FIRST_BYTES);
      long start = System.nanoTime();
      assertThatThrownBy(() -> in.read(new byte[16])).isInstanceOf(IOException.class)
          .hasMessageContaining("no bytes for " + STALL_MAX_MILLIS + " ms");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAIL_WITHIN);
    }
  }

  private void awaitRelease() {
    try {
      release.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
