package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: an SSE response that goes silent (a node that vanished without closing the connection, a
 * proxy that dropped it) does not hang a tail: after {@link TailOptions#sseIdleMax} without a byte
 * the tail aborts it and reconnects from the offset it delivered up to. Method: a fault-injecting
 * HTTP server whose first SSE response sends one chunk and then nothing, not even keep-alives; the
 * second answers from the offset it was asked for and closes the stream.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TailWatchdogTest {
  private HttpServer server;
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
  }

  @Test
  void aSilentResponseIsAbortedAndTheTailResumesFromItsOffset() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    StringBuilder seenOffsets = new StringBuilder();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/v1/stream/quiet", ex -> {
      int n = requests.incrementAndGet();
      synchronized (seenOffsets) {
        seenOffsets.append(ex.getRequestURI().getQuery()).append('\n');
      }
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      if (n == 1) {
        out.write(("event: data\ndata:ab\n\nevent: control\ndata:{\"streamNextOffset\":\"o2\",\"upToDate\":true}\n\n")
            .getBytes(StandardCharsets.UTF_8));
        out.flush();
        try {
          release.await(); // then silence: no bytes, no close
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      } else {
        out.write(("event: data\ndata:cd\n\nevent: control\ndata:{\"streamNextOffset\":\"o4\",\"streamClosed\":true}\n\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      out.close();
    });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    try (TributaryClient client = TributaryClient.builder().nodes("http://127.0.0.1:" + server.getAddress().getPort())
        .build(); Tail tail = client.stream("quiet").tail("-1",
            TailOptions.sse().withSseIdleMax(Duration.ofMillis(300)))) {
      Chunk first = tail.next();
      assertThat(new String(first.data(), StandardCharsets.UTF_8)).isEqualTo("ab");
      Chunk second = tail.next();
      assertThat(new String(second.data(), StandardCharsets.UTF_8)).isEqualTo("cd");
      assertThat(second.closed()).isTrue();
      assertThat(tail.idleAborts()).as("the silent response was aborted once").isEqualTo(1);
      assertThat(seenOffsets.toString()).as("the reconnect resumed from the delivered offset")
          .contains("offset=o2");
    }
  }
}
