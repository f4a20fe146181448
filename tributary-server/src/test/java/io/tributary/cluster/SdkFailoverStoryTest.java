package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.Ack;
import io.tributary.client.Chunk;
import io.tributary.client.CreateOptions;
import io.tributary.client.Producer;
import io.tributary.client.ProducerOptions;
import io.tributary.client.StreamHandle;
import io.tributary.client.Tail;
import io.tributary.client.TailOptions;
import io.tributary.client.TributaryClient;
import io.tributary.common.StreamKey;
import io.tributary.protocol.Offsets;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: the Java SDK keeps its promises on a 3-node cluster while nodes die: an exactly-once
 * {@link Producer} lands every message exactly once and in order while the leader of its stream's
 * group is SIGKILLed again and again, and tailing consumers (an SSE {@link Tail} and a long-poll
 * {@link io.tributary.client.TailPublisher} subscriber) see every byte once, in order, across the
 * death of the node they read from, reconnects after the server ends SSE responses
 * ({@code sse-connection-max-ms} 2 s), and failovers.
 *
 * <p>Steps: three nodes; one binary stream; a producer thread sends self-describing messages
 * ({@code m<i>|} and random bytes, 16 B to 1 KiB, about 500 a second); the tails
 * start at {@code -1} through all three node URLs. Then {@value #ROUNDS} rounds, each: wait for
 * progress, SIGKILL a victim (odd rounds: the node the SSE tail reads from; even rounds: the
 * leader of the stream's group), wait for progress without it, restart it and wait until it is
 * ready. Then the producer flushes; a snapshot of the first ~512 KiB is published and retention
 * moves to it, so a read from {@code -1} is a 410 and a late reader bootstraps (snapshot +
 * retained messages) and tails from there; the stream is closed and every consumer reads to its
 * end. Checks: every send's future succeeded, and the acknowledged offsets are exactly where each
 * message lies if the stream holds each message once; each consumer's bytes (the late reader's
 * snapshot, messages and tail together) equal the messages in send order, and each chunk started
 * where the previous one ended; after convergence every node serves exactly those bytes from the
 * retention floor on; the producer retried at least once (else no failover touched it).
 */
class SdkFailoverStoryTest {
  private static final int ROUNDS = 4;
  private static final String TYPE = ProducerLedger.CONTENT_TYPE;
  private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);
  private static final int PROGRESS_PER_STEP = 40;

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final SplittableRandom random = new SplittableRandom(seed);
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("sdk-failover")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient raw = new StreamClient(Duration.ofSeconds(15));
  private ClusterNodes cluster;
  private TributaryClient sdk;
  private String ctx;

  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void producerAndTailsSurviveKilledLeadersAndReaders() throws Exception {
    cluster = new ClusterNodes(work, ClusterNodes.members(3, random), ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "long-poll-timeout-ms", "500",
        "sse-connection-max-ms", "2000",
        "write-timeout-ms", "3000",
        "body-bytes-max", "1MiB",
        "tail-cache-bytes", "1MiB"), raw);
    ctx = "seed=" + seed + " (rerun with -Dseed=" + seed + "), logs in " + work;
    System.out.println("SdkFailoverStoryTest: " + ctx);
    cluster.startAll();
    cluster.awaitConverged(Duration.ofSeconds(90), ctx);
    sdk = TributaryClient.builder()
        .nodes(cluster.members().stream().map(ClusterNodes.Member::baseUrl).toArray(String[]::new))
        .requestTimeout(Duration.ofSeconds(10)).retryDeadline(Duration.ofSeconds(90)).build();
    String name = "sdk-story";
    StreamHandle stream = sdk.stream(name);
    assertThat(stream.create(CreateOptions.of(TYPE))).as("created [%s]", ctx).isTrue();
    int group = new StreamKey(StreamKey.DEFAULT_BUCKET, name).groupIndex(cluster.groups(0).size());

    Consumer sse = new Consumer(stream.tail("-1", TailOptions.sse().withReconnectDeadline(Duration.ofSeconds(90))));
    Thread sseThread = Thread.ofPlatform().daemon(true).name("sdk-sse-tail").start(sse::run);
    PublisherConsumer longPoll = new PublisherConsumer();
    stream.publisher("-1", TailOptions.longPoll().withReconnectDeadline(Duration.ofSeconds(90))).subscribe(longPoll);

    Writer writer = new Writer(stream.producer(ProducerOptions.of(TYPE).withBatch(256 << 10, 256)), seed);
    Thread writerThread = Thread.ofPlatform().daemon(true).name("sdk-writer").start(writer::run);

    for (int round = 1; round <= ROUNDS; round++) {
      awaitProgress(writer, "before round " + round);
      int victim = round % 2 == 1 ? indexOfUrl(sse.tail.node()) : leaderOf(group);
      String why = round % 2 == 1 ? "the node the SSE tail reads from" : "the leader of group " + group;
      System.out.printf("SdkFailoverStoryTest: round %d: SIGKILL %s (%s) after %d acks%n", round,
          cluster.member(victim).id(), why, writer.acked.get());
      cluster.process(victim).kill9();
      awaitProgress(writer, "round " + round + " with " + cluster.member(victim).id() + " down");
      cluster.process(victim).restart();
      cluster.awaitReady(victim, Duration.ofSeconds(90), ctx);
    }
    writer.stop = true;
    writerThread.join(TimeUnit.SECONDS.toMillis(120));
    assertThat(writerThread.isAlive()).as("writer stopped [%s]", ctx).isFalse();
    assertThat(writer.failure).as("writer failure [%s]", ctx).isNull();
    writer.producer.flush();
    writer.producer.close();

    // a late reader: the application snapshots the first ~512 KiB (its state here is the bytes
    // themselves), retention releases them, and the late reader bootstraps and tails
    long snapshotBytes = 0;
    for (int i = 0; i < writer.sizes.size() && snapshotBytes + writer.sizes.get(i) <= 512 * 1024; i++) {
      snapshotBytes += writer.sizes.get(i);
    }
    String snapshotAt = Offsets.format(snapshotBytes);
    stream.publishSnapshot(snapshotAt, "application/octet-stream",
        Arrays.copyOf(writer.expected.toByteArray(), (int) snapshotBytes));
    stream.retainFrom(snapshotAt);
    assertThat(ClientErrors.thrownBy(() -> stream.read("-1")))
        .as("a read below the retention floor [%s]", ctx).isInstanceOf(io.tributary.client.TributaryException.Gone.class);
    io.tributary.client.Bootstrap boot = stream.bootstrap();
    assertThat(boot.snapshotOffset()).isEqualTo(snapshotAt);
    ByteArrayOutputStream lateState = new ByteArrayOutputStream();
    lateState.writeBytes(boot.snapshot());
    boot.messages().forEach(lateState::writeBytes);
    Consumer late = new Consumer(stream.tail(boot.nextOffset(), TailOptions.sse()), boot.nextOffset());
    Thread lateThread = Thread.ofPlatform().daemon(true).name("sdk-late-tail").start(late::run);

    String finalOffset = stream.closeStream();

    byte[] expected = writer.expected.toByteArray();
    assertThat(finalOffset).as("the tail is where the sent messages end, each once [%s]", ctx)
        .isEqualTo(Offsets.format(expected.length));
    long end = 0;
    for (int i = 0; i < writer.futures.size(); i++) {
      Ack a = writer.futures.get(i).get(0, TimeUnit.SECONDS); // throws what failed it
      long start = end;
      end += writer.sizes.get(i);
      if (a.offset() != null) {
        assertThat(a.offset()).as("message %d's offset [%s]", i, ctx).isEqualTo(Offsets.format(start));
        assertThat(a.nextOffset()).as("message %d's end [%s]", i, ctx).isEqualTo(Offsets.format(end));
      }
    }

    sseThread.join(TimeUnit.SECONDS.toMillis(120));
    assertThat(sseThread.isAlive()).as("SSE consumer still reading after 120 s, at %s with %d of %d bytes [%s]",
        sse.tail.offset(), sse.data.size(), expected.length, ctx).isFalse();
    assertThat(sse.failure).as("SSE consumer failure [%s]", ctx).isNull();
    assertThat(sse.ended).as("SSE consumer saw the end [%s]", ctx).isTrue();
    assertThat(sse.gaps).as("SSE chunks not starting where the previous ended [%s]", ctx).isEmpty();
    assertSameBytes("SSE consumer", sse.data.toByteArray(), expected);
    lateThread.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(late.failure).as("late consumer failure [%s]", ctx).isNull();
    assertThat(late.ended).as("late consumer saw the end [%s]", ctx).isTrue();
    lateState.writeBytes(late.data.toByteArray());
    assertSameBytes("bootstrap (snapshot + " + boot.messages().size() + " retained messages) + tail", lateState.toByteArray(),
        expected);
    await("the long-poll subscriber completes").atMost(Duration.ofSeconds(120)).until(longPoll.done::isDone);
    assertThat(longPoll.done.get()).as("long-poll subscriber ended by [%s]", ctx).isEqualTo("complete");
    assertThat(longPoll.gaps).as("long-poll chunks not starting where the previous ended [%s]", ctx).isEmpty();
    assertSameBytes("long-poll subscriber", longPoll.data.toByteArray(), expected);

    cluster.awaitConverged(Duration.ofSeconds(90), ctx);
    byte[] retained = Arrays.copyOfRange(expected, (int) snapshotBytes, expected.length);
    for (ClusterNodes.Member m : cluster.members()) {
      // from the retention floor: below it the consumers above saw every byte
      ByteArrayOutputStream replica = new ByteArrayOutputStream();
      String at = snapshotAt;
      for (int chunks = 0; ; chunks++) {
        StreamClient.Chunk c = raw.read(m.baseUrl(), name, at);
        assertThat(c.status()).as("read %s from %s at %s [%s]", name, at, m.id(), ctx).isEqualTo(200);
        replica.writeBytes(c.body());
        at = c.nextOffset();
        if (c.upToDate()) {
          break;
        }
        assertThat(chunks).as("chunks read from %s [%s]", m.id(), ctx).isLessThan(100_000);
      }
      assertSameBytes("replica " + m.id() + " from the retention floor", replica.toByteArray(), retained);
    }
    System.out.printf("SdkFailoverStoryTest: %d messages (%d bytes) exactly once; producer retried %d times;"
        + " SSE tail: %d connections, %d reconnects after failures; [%s]%n", writer.futures.size(), expected.length,
        writer.producer.retries(), sse.tail.sseConnections(), sse.tail.reconnects(), ctx);
    assertThat(writer.producer.retries()).as("the kills touched the producer (else the story tested nothing) [%s]", ctx)
        .isPositive();
    assertThat(sse.tail.sseConnections()).as("the SSE tail reconnected [%s]", ctx).isGreaterThan(ROUNDS / 2);
  }

  @AfterEach
  void stop() {
    if (sdk != null) {
      sdk.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    raw.close();
  }

  private void assertSameBytes(String who, byte[] actual, byte[] expected) {
    if (!Arrays.equals(actual, expected)) {
      int at = Arrays.mismatch(actual, expected);
      throw new AssertionError(who + " holds " + actual.length + " bytes where the sent messages are " + expected.length
          + "; first difference at byte " + at + ": '" + printable(actual, at) + "' instead of '"
          + printable(expected, at) + "' [" + ctx + "]");
    }
  }

  private static String printable(byte[] b, int from) {
    StringBuilder sb = new StringBuilder();
    for (int i = Math.max(0, from); i < b.length && i < from + 40; i++) {
      int c = b[i] & 0xff;
      sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : ".");
    }
    return sb.toString();
  }

  private void awaitProgress(Writer writer, String when) {
    long target = writer.acked.get() + PROGRESS_PER_STEP;
    await("the producer gets " + PROGRESS_PER_STEP + " acks " + when + " [" + ctx + "]").atMost(PROGRESS_TIMEOUT)
        .pollInterval(Duration.ofMillis(50)).until(() -> writer.acked.get() >= target || writer.failure != null);
    assertThat(writer.failure).as("writer failure %s [%s]", when, ctx).isNull();
  }

  private int leaderOf(int group) throws InterruptedException {
    for (int i = 0; i < cluster.size(); i++) {
      List<ClusterNodes.GroupView> v = cluster.groups(i);
      if (v != null && v.get(group).hasLeader()) {
        return cluster.indexOf(v.get(group).leader());
      }
    }
    throw new AssertionError("no node names a leader of group " + group + "\n" + cluster.describe() + " [" + ctx + "]");
  }

  private int indexOfUrl(String url) {
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.member(i).baseUrl().equals(url)) {
        return i;
      }
    }
    throw new AssertionError("the tail reads from " + url + ", which is no member [" + ctx + "]");
  }

  /** Sends self-describing messages until stopped. Threads: its own; the test reads its fields after join. */
  private static final class Writer {
    final Producer producer;
    final SplittableRandom random;
    final ByteArrayOutputStream expected = new ByteArrayOutputStream();
    final List<CompletableFuture<Ack>> futures = new ArrayList<>();
    final List<Integer> sizes = new ArrayList<>();
    final AtomicLong acked = new AtomicLong();
    volatile boolean stop;
    volatile Throwable failure;

    Writer(Producer producer, long seed) {
      this.producer = producer;
      this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    }

    void run() {
      try {
        for (int i = 0; !stop; i++) {
          byte[] head = ("m" + i + "|").getBytes(StandardCharsets.US_ASCII);
          byte[] m = new byte[head.length + random.nextInt(16, 1024)];
          System.arraycopy(head, 0, m, 0, head.length);
          for (int k = head.length; k < m.length; k++) {
            m[k] = (byte) random.nextInt(256);
          }
          expected.writeBytes(m);
          sizes.add(m.length);
          CompletableFuture<Ack> f = producer.send(m);
          futures.add(f);
          f.whenComplete((a, e) -> {
            if (e != null) {
              failure = e;
            } else {
              acked.incrementAndGet();
            }
          });
          if (failure != null) {
            return;
          }
          // load shaping, not a wait: about 500 messages/s leaves the 2-core box room for restarts
          java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
      } catch (Throwable e) {
        failure = e;
      }
    }
  }

  /** Reads a tail to its end. Threads: its own; the test reads its fields after join. */
  private static final class Consumer {
    final Tail tail;
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final List<String> gaps = new ArrayList<>();
    volatile boolean ended;
    volatile Throwable failure;
    private String expectedStart;

    Consumer(Tail tail) {
      this(tail, "-1");
    }

    Consumer(Tail tail, String from) {
      this.tail = tail;
      this.expectedStart = from;
    }

    void run() {
      try (tail) {
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
  }

  /** A Flow subscriber asking for one chunk at a time. Threads: the subscription's; the test reads after done. */
  private static final class PublisherConsumer implements Flow.Subscriber<Chunk> {
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final List<String> gaps = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> done = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private String expectedStart = "-1";

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(Chunk c) {
      if (!contiguous(expectedStart, c.offset())) {
        gaps.add(c.offset() + " after " + expectedStart);
      }
      expectedStart = c.nextOffset();
      data.writeBytes(c.data());
      subscription.request(1);
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

  /** Catching a typed failure. */
  private static final class ClientErrors {
    interface Op {
      void run() throws Exception;
    }

    static Throwable thrownBy(Op op) {
      try {
        op.run();
      } catch (Exception e) {
        return e;
      }
      throw new AssertionError("expected a failure, the call succeeded");
    }
  }

  /** True if a chunk starting at {@code offset} follows data that ended at {@code expected} ({@code -1}: none yet). */
  static boolean contiguous(String expected, String offset) {
    return expected.equals("-1") ? offset.equals("-1") || offset.equals(io.tributary.protocol.Offsets.format(0))
        : offset.equals(expected);
  }
}
