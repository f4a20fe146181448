package io.tributary.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.testing.LocalNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a large JSON body is parsed off the event loop that received it (a 30 MB body parsed on
 * an event loop stalled every connection of that loop), and parse errors still answer 400.
 *
 * <p>Method: the routing decision on its own (small bodies inline, large ones on the worker pool,
 * a failure there fails the future); then a node in this JVM taking a 2 MiB JSON append, a 2 MiB
 * malformed one and a 2 MiB transaction.
 */
class JsonOffLoopTest {
  @Test
  void largeBodiesAreParsedOnTheWorkerPool() throws Exception {
    try (ReadPool pool = new ReadPool(1, 4)) {
      String caller = Thread.currentThread().getName();
      assertThat(StreamService.offLoopIfLarge(pool, 100, () -> CompletableFuture.completedFuture(
          Thread.currentThread().getName())).get()).as("small body: inline").isEqualTo(caller);
      assertThat(StreamService.offLoopIfLarge(pool, StreamService.INLINE_JSON_BYTES_MAX + 1,
          () -> CompletableFuture.completedFuture(Thread.currentThread().getName())).get())
          .as("large body: on the pool").isEqualTo("tributary-read");
      CompletableFuture<Object> bad = StreamService.offLoopIfLarge(pool, 1 << 20, () -> {
        throw new BadRequestException("not JSON");
      });
      assertThatThrownBy(bad::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(BadRequestException.class);
    }
  }

  @Test
  void largeJsonWritesWorkAndMalformedOnesGet400(@TempDir Path dir) throws Exception {
    try (LocalNode node = new LocalNode(dir.resolve("data"), Map.of())) {
      assertThat(node.send("PUT", "/v1/stream/@k/big", "application/json", null).statusCode()).isEqualTo(201);
      StringBuilder json = new StringBuilder("[");
      for (int i = 0; json.length() < 2 << 20; i++) {
        json.append(i == 0 ? "" : ",").append("{\"n\":").append(i).append(",\"pad\":\"").append("x".repeat(40)).append("\"}");
      }
      json.append(']');
      assertThat(node.send("POST", "/v1/stream/@k/big", "application/json", json.toString()).statusCode()).isEqualTo(204);
      var bad = node.send("POST", "/v1/stream/@k/big", "application/json", json.substring(0, json.length() - 1));
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(node.send("GET", "/v1/stream/@k/big?offset=-1", null, null).body()).contains("\"n\":0").contains("\"pad\"");
      String tx = "{\"appends\":[{\"stream\":\"@k/big\",\"json\":" + json + "}]}";
      assertThat(node.send("POST", "/v1/stream/@k/$transaction", "application/json", tx).statusCode()).isEqualTo(200);
      var badTx = node.send("POST", "/v1/stream/@k/$transaction", "application/json", tx.substring(1));
      assertThat(badTx.statusCode()).as(badTx.body()).isEqualTo(400);
    }
  }
}
