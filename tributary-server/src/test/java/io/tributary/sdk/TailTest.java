package io.tributary.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.client.Bootstrap;
import io.tributary.client.Chunk;
import io.tributary.client.CreateOptions;
import io.tributary.client.StreamHandle;
import io.tributary.client.Tail;
import io.tributary.client.TailOptions;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryException;
import io.tributary.testing.LocalNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: tailing delivers every byte once, in order, to the end of the stream, with SSE across the
 * server ending each response after {@code sse-connection-max-ms} (1 s here) and with long-poll;
 * the Flow adapter never signals more chunks than requested; and bootstrap-then-tail after
 * retention ends in the same state as a consumer that saw every message. Method: one in-process
 * node; appends from the test thread while a tail runs on its own thread; chunks must start
 * where the previous one ended.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TailTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;
  static LocalNode node;
  static TributaryClient client;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, Map.of("sse-connection-max-ms", "1000"));
    client = TributaryClient.builder().nodes(node.url("")).retryDeadline(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    node.close();
  }

  @Test
  void sseTailResumesAcrossServerEndedResponses() throws Exception {
    StreamHandle s = client.stream("tail/sse");
    s.create(CreateOptions.of("application/octet-stream"));
    try (Tail tail = s.tail("-1", TailOptions.sse())) {
      Reader reader = new Reader(tail);
      Thread t = Thread.ofPlatform().start(reader::run);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      for (int i = 0; tail.sseConnections() < 3 || i < 20; i++) {
        byte[] m = ("record " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        s.append("application/octet-stream", m);
        expected.writeBytes(m);
        if (i > 100_000) {
          throw new AssertionError("the server never ended an SSE response (sse-connection-max-ms 1000)");
        }
      }
      s.closeStream();
      t.join(TimeUnit.SECONDS.toMillis(30));
      reader.check(expected.toByteArray());
      assertThat(tail.sseConnections()).as("SSE responses opened").isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void longPollTailReadsToTheEnd() throws Exception {
    StreamHandle s = client.stream("tail/long-poll");
    s.create(CreateOptions.of("text/plain"));
    try (Tail tail = s.tail("-1", TailOptions.longPoll())) {
      Reader reader = new Reader(tail);
      Thread t = Thread.ofPlatform().start(reader::run);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      for (int i = 0; i < 200; i++) {
        byte[] m = ("line " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        s.append("text/plain", m);
        expected.writeBytes(m);
      }
      s.closeStream();
      t.join(TimeUnit.SECONDS.toMillis(30));
      reader.check(expected.toByteArray());
    }
  }

  @Test
  void thePublisherSignalsNoMoreThanRequested() throws Exception {
    StreamHandle s = client.stream("tail/publisher");
    s.create(CreateOptions.of("text/plain"));
    CountingSubscriber sub = new CountingSubscriber();
    s.publisher("-1", TailOptions.sse()).subscribe(sub);
    await().atMost(Duration.ofSeconds(10)).until(() -> sub.subscription != null);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = 0; i < 5; i++) {
      byte[] m = ("part " + i + ";").getBytes(StandardCharsets.US_ASCII);
      s.append("text/plain", m);
      expected.writeBytes(m);
      sub.request(1);
      int want = i + 1;
      await("chunk " + want).atMost(Duration.ofSeconds(10)).until(() -> sub.received.get() >= want);
      // more data is now available than requested: the next append must wait for the next request
    }
    s.closeStream();
    sub.request(Long.MAX_VALUE);
    assertThat(sub.done.get(20, TimeUnit.SECONDS)).isEqualTo("complete");
    assertThat(sub.violations).as("onNext beyond demand").isEmpty();
    assertThat(sub.data.toByteArray()).isEqualTo(expected.toByteArray());
  }

  @Test
  void bootstrapThenTailAfterRetentionEqualsTheFullHistory() throws Exception {
    StreamHandle s = client.stream("tail/bootstrap");
    s.create(CreateOptions.of("application/json"));
    // a consumer that sees everything from the start
    Tail everything = s.tail("-1", TailOptions.sse());
    JsonState full = new JsonState();
    Thread fullReader = Thread.ofPlatform().start(() -> full.follow(everything));
    String snapshotAt = null;
    for (int n = 1; n <= 50; n++) {
      String next = s.append("application/json", "{\"n\":" + n + "}");
      if (n == 30) {
        snapshotAt = next;
      }
    }
    // the application's snapshot of its state after message 30, then retention drops what it covers
    JsonState at30 = new JsonState();
    for (int n = 1; n <= 30; n++) {
      at30.apply(n);
    }
    s.publishSnapshot(snapshotAt, "application/json", at30.toJson());
    s.retainFrom(snapshotAt);

    TributaryException gone = ClientOperationsTest.catchTyped(() -> s.read("-1"));
    assertThat(gone).isInstanceOf(TributaryException.Gone.class);
    assertThat(((TributaryException.Gone) gone).snapshotOffset()).isEqualTo(snapshotAt);

    Bootstrap b = s.bootstrap();
    assertThat(b.snapshotOffset()).isEqualTo(snapshotAt);
    JsonState late = JsonState.fromJson(b.snapshot());
    for (byte[] m : b.messages()) {
      late.apply(JSON.readTree(m).get("n").asLong());
    }
    assertThat(late.count).as("snapshot (30) + retained messages (20)").isEqualTo(50);
    Tail fromBootstrap = s.tail(b.nextOffset(), TailOptions.longPoll());
    Thread lateReader = Thread.ofPlatform().start(() -> late.follow(fromBootstrap));
    for (int n = 51; n <= 60; n++) {
      s.append("application/json", "{\"n\":" + n + "}");
    }
    s.closeStream();
    fullReader.join(TimeUnit.SECONDS.toMillis(30));
    lateReader.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(full.failure).isNull();
    assertThat(late.failure).isNull();
    assertThat(full.ended && late.ended).as("both saw the end").isTrue();
    assertThat(full.count).isEqualTo(60);
    assertThat(late.toJson()).as("bootstrap + tail state").isEqualTo(full.toJson());
  }

  @Test
  void anSseResponseOutlivesTheClientsRequestTimeout(@TempDir Path own) throws Exception {
    // the request timeout bounds waiting for a response's headers, not a live SSE body: an idle
    // tail must keep its one connection (no failure, no reconnect) past it
    try (LocalNode quiet = new LocalNode(own, Map.of());
        TributaryClient impatient = TributaryClient.builder().nodes(quiet.url("")).requestTimeout(Duration.ofSeconds(1))
            .build()) {
      StreamHandle s = impatient.stream("tail/idle");
      s.create(CreateOptions.of("text/plain"));
      s.append("text/plain", "first");
      try (Tail tail = s.tail("-1", TailOptions.sse())) {
        assertThat(new String(tail.next().data(), StandardCharsets.UTF_8)).isEqualTo("first");
        CompletableFuture<Chunk> second = CompletableFuture.supplyAsync(() -> {
          try {
            return tail.next();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
        Thread.sleep(3000); // the point of the test: idle for three request timeouts
        s.append("text/plain", "second");
        assertThat(new String(second.get(10, TimeUnit.SECONDS).data(), StandardCharsets.UTF_8)).isEqualTo("second");
        assertThat(tail.reconnects()).as("failed attempts").isZero();
        assertThat(tail.sseConnections()).as("SSE responses opened").isEqualTo(1);
      }
    }
  }

  /** Reads a tail to its end, checking that chunks are contiguous. Threads: its own; read after join. */
  private static final class Reader {
    final Tail tail;
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final List<String> gaps = new ArrayList<>();
    volatile boolean ended;
    volatile Throwable failure;

    Reader(Tail tail) {
      this.tail = tail;
    }

    void run() {
      String expectedStart = "-1";
      try {
        Chunk c;
        while ((c = tail.next()) != null) {
          if (!contiguous(expectedStart, c.offset())) {
            gaps.add(c.offset() + " after " + expectedStart);
          }
          expectedStart = c.nextOffset();
          data.writeBytes(c.data());
          ended = c.closed();
        }
      } catch (Throwable e) {
        failure = e;
      }
    }

    void check(byte[] expected) {
      assertThat(failure).isNull();
      assertThat(ended).as("saw the end of the stream").isTrue();
      assertThat(gaps).isEmpty();
      assertThat(new String(data.toByteArray(), StandardCharsets.US_ASCII))
          .isEqualTo(new String(expected, StandardCharsets.US_ASCII));
    }
  }

  /** An application's state from JSON messages {@code {"n":k}}: count, sum and last. */
  private static final class JsonState {
    long count;
    long sum;
    long last;
    volatile boolean ended;
    volatile Throwable failure;

    void apply(long n) {
      count++;
      sum += n;
      last = n;
    }

    byte[] toJson() {
      return ("{\"count\":" + count + ",\"sum\":" + sum + ",\"last\":" + last + "}").getBytes(StandardCharsets.UTF_8);
    }

    static JsonState fromJson(byte[] b) throws Exception {
      JsonNode j = JSON.readTree(b);
      JsonState s = new JsonState();
      s.count = j.get("count").asLong();
      s.sum = j.get("sum").asLong();
      s.last = j.get("last").asLong();
      return s;
    }

    void follow(Tail tail) {
      try (tail) {
        Chunk c;
        while ((c = tail.next()) != null) {
          if (!c.isEmpty()) {
            for (JsonNode m : JSON.readTree(c.data())) {
              apply(m.get("n").asLong());
            }
          }
          ended = c.closed();
        }
      } catch (Throwable e) {
        failure = e;
      }
    }
  }

  /** Counts onNext against requests; records any beyond demand. Threads: signals on the subscription's thread. */
  private static final class CountingSubscriber implements Flow.Subscriber<Chunk> {
    final AtomicLong requested = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final CompletableFuture<String> done = new CompletableFuture<>();
    volatile Flow.Subscription subscription;

    void request(long n) {
      requested.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      subscription.request(n);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
    }

    @Override
    public synchronized void onNext(Chunk c) {
      if (received.incrementAndGet() > requested.get()) {
        violations.add("chunk " + received.get() + " with " + requested.get() + " requested");
      }
      data.writeBytes(c.data());
    }

    @Override
    public void onError(Throwable e) {
      done.complete("error: " + e);
    }

    @Override
    public void onComplete() {
      done.complete("complete");
    }
  }

  /** True if a chunk starting at {@code offset} follows data that ended at {@code expected} ({@code -1}: none yet). */
  static boolean contiguous(String expected, String offset) {
    return expected.equals("-1") ? offset.equals("-1") || offset.equals(io.tributary.protocol.Offsets.format(0))
        : offset.equals(expected);
  }
}
