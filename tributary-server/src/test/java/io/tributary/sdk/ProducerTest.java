package io.tributary.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.Ack;
import io.tributary.client.Chunk;
import io.tributary.client.CreateOptions;
import io.tributary.client.Producer;
import io.tributary.client.ProducerOptions;
import io.tributary.client.StreamHandle;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryException;
import io.tributary.protocol.Offsets;
import io.tributary.testing.LocalNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the exactly-once producer batches what queues up while a batch is in flight, bounds the
 * bytes it holds (send blocks), acknowledges every message with where it landed, and ends with a
 * typed failure when a newer epoch fences it. Method: one in-process node. Batching and
 * back-pressure are made deterministic by holding the producer's first request in the token
 * provider (which its sender thread calls to build each request) until the test has queued what
 * it needs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProducerTest {
  private static final String TYPE = "application/octet-stream";

  @TempDir
  static Path dir;
  static LocalNode node;
  static TributaryClient client;

  @BeforeAll
  static void start() throws Exception {
    // a small body bound: a body over it fits the socket buffers, so the 413 arrives as an answer
    // (a 33 MiB body against 32 MiB was sometimes cut off by the server's close: an unknown outcome)
    node = new LocalNode(dir, Map.of("body-bytes-max", "1MiB"));
    client = TributaryClient.builder().nodes(node.url("")).retryDeadline(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    node.close();
  }

  @Test
  void messagesQueuedDuringARequestGoOutAsOneBatchAndLandInOrder() throws Exception {
    StreamHandle s = client.stream("producer/batching");
    s.create(CreateOptions.of(TYPE));
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    try (TributaryClient held = heldClient(entered, release); Producer p = held.stream("producer/batching")
        .producer(ProducerOptions.of(TYPE))) {
      List<CompletableFuture<Ack>> acks = new ArrayList<>();
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      for (int i = 0; i < 100; i++) {
        byte[] m = ("message " + i + ";").getBytes(StandardCharsets.US_ASCII);
        expected.writeBytes(m);
        acks.add(p.send(m));
        if (i == 0) {
          assertThat(entered.await(10, TimeUnit.SECONDS)).as("the first batch is being sent").isTrue();
        }
      }
      release.countDown();
      p.flush();
      assertThat(acks.get(0).get().seq()).as("the first message went out alone").isEqualTo(0);
      for (int i = 1; i < 100; i++) {
        assertThat(acks.get(i).get().seq()).as("message %d rode the second batch", i).isEqualTo(1);
      }
      long end = 0;
      for (int i = 0; i < 100; i++) {
        Ack a = acks.get(i).get();
        assertThat(a.offset()).isEqualTo(Offsets.format(end));
        end += ("message " + i + ";").length();
        assertThat(a.nextOffset()).isEqualTo(Offsets.format(end));
      }
      Chunk c = s.read("-1");
      assertThat(c.data()).isEqualTo(expected.toByteArray());
    }
  }

  @Test
  void sendBlocksWhileTheBufferIsFull() throws Exception {
    StreamHandle s = client.stream("producer/backpressure");
    s.create(CreateOptions.of(TYPE));
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    try (TributaryClient held = heldClient(entered, release); Producer p = held.stream("producer/backpressure")
        .producer(ProducerOptions.of(TYPE).withBufferBytesMax(1000))) {
      p.send(new byte[600]); // in flight, held
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      p.send(new byte[300]); // queued: 900 of 1000 bytes
      CompletableFuture<CompletableFuture<Ack>> blocked = new CompletableFuture<>();
      Thread t = Thread.ofPlatform().start(() -> {
        try {
          blocked.complete(p.send(new byte[200])); // 1100 > 1000: must wait for an acknowledgement
        } catch (Throwable e) {
          blocked.completeExceptionally(e);
        }
      });
      await("the third send blocks").atMost(Duration.ofSeconds(10))
          .until(() -> t.getState() == Thread.State.WAITING);
      assertThat(blocked).as("send returned although 1100 bytes exceed the 1000-byte buffer").isNotDone();
      release.countDown();
      blocked.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
      p.flush();
      assertThat(s.head().nextOffset()).isEqualTo(Offsets.format(1100));
    }
  }

  @Test
  void aNewerEpochFencesTheOldProducer() throws Exception {
    StreamHandle s = client.stream("producer/fencing");
    s.create(CreateOptions.of(TYPE));
    try (Producer old = s.producer(ProducerOptions.of(TYPE).withId("writer", 0))) {
      old.send("a".getBytes(StandardCharsets.US_ASCII)).get();
      try (Producer successor = s.producer(ProducerOptions.of(TYPE).withId("writer", 1))) {
        successor.send("b".getBytes(StandardCharsets.US_ASCII)).get();
      }
      CompletableFuture<Ack> zombie = old.send("c".getBytes(StandardCharsets.US_ASCII));
      Throwable cause = catchCause(zombie);
      assertThat(cause).isInstanceOf(TributaryException.Fenced.class);
      assertThat(((TributaryException.Fenced) cause).currentEpoch()).isEqualTo(1);
      assertThat(catchCause(old.send("d".getBytes(StandardCharsets.US_ASCII))))
          .as("a fenced producer refuses later sends with the same failure").isSameAs(cause);
    }
    assertThat(new String(s.read("-1").data(), StandardCharsets.US_ASCII)).isEqualTo("ab");
  }

  @Test
  void aSecondInstanceWithTheSameIdAndEpochFailsInsteadOfDroppingItsMessages() throws Exception {
    StreamHandle s = client.stream("producer/same-id");
    s.create(CreateOptions.of(TYPE));
    try (Producer first = s.producer(ProducerOptions.of(TYPE).withId("reused", 0))) {
      for (String m : new String[] {"a", "b", "c"}) {
        first.send(m.getBytes(StandardCharsets.US_ASCII)).get(); // one batch each: seq 0, 1, 2
      }
    }
    try (Producer second = s.producer(ProducerOptions.of(TYPE).withId("reused", 0))) {
      Throwable cause = catchCause(second.send("d".getBytes(StandardCharsets.US_ASCII)));
      assertThat(cause).isInstanceOf(TributaryException.Rejected.class);
      assertThat(((TributaryException) cause).reason()).isEqualTo(io.tributary.protocol.ErrorReason.CONFLICT);
    }
    assertThat(new String(s.read("-1").data(), StandardCharsets.US_ASCII)).isEqualTo("abc");
  }

  @Test
  void aRestartedInstanceThatClaimsTakesOverAboveTheOldEpochAndThenCanBeFencedItself() throws Exception {
    StreamHandle s = client.stream("producer/claim");
    s.create(CreateOptions.of(TYPE));
    try (Producer first = s.producer(ProducerOptions.of(TYPE).withId("restarted", 0))) {
      first.send("a".getBytes(StandardCharsets.US_ASCII)).get();
      first.send("b".getBytes(StandardCharsets.US_ASCII)).get(); // seq 0 and 1 of epoch 0
    }
    try (Producer again = s.producer(ProducerOptions.of(TYPE).withId("restarted", 0).withClaim(true))) {
      again.send("c".getBytes(StandardCharsets.US_ASCII)).get();
      assertThat(again.epoch()).as("same epoch, later seqs on the server: moved above it").isEqualTo(1);
    }
    try (Producer third = s.producer(ProducerOptions.of(TYPE).withId("restarted", 0).withClaim(true))) {
      third.send("d".getBytes(StandardCharsets.US_ASCII)).get();
      assertThat(third.epoch()).as("fenced by epoch 1 at its first batch: moved to 2").isEqualTo(2);
      try (Producer fourth = s.producer(ProducerOptions.of(TYPE).withId("restarted", 3))) {
        fourth.send("e".getBytes(StandardCharsets.US_ASCII)).get();
      }
      Throwable cause = catchCause(third.send("f".getBytes(StandardCharsets.US_ASCII)));
      assertThat(cause).as("after its first acknowledged batch a claiming producer is fenced like any other")
          .isInstanceOf(TributaryException.Fenced.class);
    }
    assertThat(new String(s.read("-1").data(), StandardCharsets.US_ASCII)).isEqualTo("abcde");
  }

  @Test
  void aMessageOverTheServersBoundFailsAloneAndTheProducerGoesOn() throws Exception {
    StreamHandle s = client.stream("producer/too-large");
    s.create(CreateOptions.of(TYPE));
    try (Producer p = s.producer(ProducerOptions.of(TYPE).withBufferBytesMax(64L << 20).withBatch(64 << 20, 512))) {
      CompletableFuture<Ack> huge = p.send(new byte[2 << 20]); // body-bytes-max is 1 MiB here
      assertThat(catchCause(huge)).isInstanceOf(TributaryException.TooLarge.class);
      assertThat(p.send("after".getBytes(StandardCharsets.US_ASCII)).get().seq()).as("seq 0 was not used").isZero();
    }
    assertThat(new String(s.read("-1").data(), StandardCharsets.US_ASCII)).isEqualTo("after");
  }

  /** A client whose token provider signals {@code entered} and holds requests until {@code release} opens. */
  private static TributaryClient heldClient(CountDownLatch entered, CountDownLatch release) {
    return TributaryClient.builder().nodes(node.url("")).token(() -> {
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return null;
    }).build();
  }

  private static Throwable catchCause(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within 20 s", e);
    }
    throw new AssertionError("expected a failure, got " + f.join());
  }
}
