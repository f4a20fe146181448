package io.tributary.durability;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The load of a crash test: its streams (alternately binary and JSON, each with its idempotent
 * producer and ledger, {@link ProducerStream}), the {@link AppendWriter} threads that append to
 * them through a {@link ServerGate} (writer w owns streams w, w + writers, ...), and the
 * {@link LoadMonitor} they report to.
 *
 * <p>Threads: the test thread calls every method; the writers run on their own daemon threads.
 */
final class ProducerLoad {
  final LoadMonitor monitor = new LoadMonitor();
  final List<ProducerStream> streams = new ArrayList<>();
  private final List<AppendWriter> writers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final StreamClient client;
  private final long seed;
  private final String context;
  private ServerGate gate;

  ProducerLoad(StreamClient client, long seed, String context) {
    this.client = client;
    this.seed = seed;
    this.context = context;
  }

  /**
   * Creates {@code count} streams named {@code <prefix>-bin-NN} and {@code <prefix>-json-NN}, each
   * producer with a random epoch; the first {@code bigAppends} carry one append above 1 MiB.
   */
  void createStreams(String baseUrl, String prefix, int count, int bigAppends, SplittableRandom random)
      throws IOException, InterruptedException {
    for (int i = 0; i < count; i++) {
      ProducerStream.Kind kind = i % 2 == 0 ? ProducerStream.Kind.BINARY : ProducerStream.Kind.JSON;
      String name = String.format("%s-%s-%02d", prefix, kind == ProducerStream.Kind.BINARY ? "bin" : "json", i);
      ProducerStream s = new ProducerStream(seed, i, name, kind, 1 + random.nextInt(3), i < bigAppends);
      HttpResponse<byte[]> res = client.create(baseUrl, name, kind.contentType);
      assertThat(res.statusCode()).as("PUT %s [%s]", name, context).isEqualTo(201);
      streams.add(s);
    }
  }

  /** Starts {@code count} writers (threads {@code <threadPrefix>-N}) against {@code baseUrl}. */
  void startWriters(int count, String baseUrl, String threadPrefix) {
    gate = new ServerGate(baseUrl);
    for (int w = 0; w < count; w++) {
      List<ProducerStream> own = new ArrayList<>();
      for (int i = w; i < streams.size(); i += count) {
        own.add(streams.get(i));
      }
      AppendWriter writer = new AppendWriter(w, own, gate, client, monitor, seed, context);
      Thread t = new Thread(writer, threadPrefix + "-" + w);
      t.setDaemon(true);
      writers.add(writer);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  /** Where the writers send their requests; hold it while the server is down. */
  ServerGate gate() {
    return gate;
  }

  /**
   * Waits for the moment of the next kill: {@code burst} more acks if positive (the instant they
   * are in), else {@code delayMillis} of load. Returns how, for the report; fails on a writer failure.
   */
  String awaitKillMoment(long burst, long delayMillis, Duration timeout) throws InterruptedException {
    String how;
    if (burst > 0) {
      assertThat(monitor.awaitAcks(monitor.acks() + burst, timeout))
          .as("a burst of %d acks within %s (load stalled?) [%s]", burst, timeout, context).isTrue();
      how = "right after a burst of " + burst + " acks";
    } else {
      monitor.awaitDelayOrFailure(Duration.ofMillis(delayMillis));
      how = "after " + delayMillis + " ms of load";
    }
    assertThat(monitor.failures()).as("writer failures before the kill %s [%s]", how, context).isEmpty();
    return how;
  }

  /** The writers settle every append the last kill left unknown and 50 more, then stop between appends. */
  void settleAndStop(Duration loadTimeout, Duration leaveTimeout) throws InterruptedException {
    assertThat(monitor.awaitAcks(monitor.acks() + 50, loadTimeout))
        .as("50 more acks after the last restart [%s]", context).isTrue();
    writers.forEach(AppendWriter::requestStop);
    for (Thread t : threads) {
      t.join(leaveTimeout);
      assertThat(t.isAlive()).as("%s stopped within %s [%s]", t.getName(), leaveTimeout, context).isFalse();
    }
    assertThat(monitor.failures()).as("writer failures [%s]", context).isEmpty();
  }

  /** Stops the writers at once (after a failed test). */
  void abort() {
    writers.forEach(AppendWriter::requestStop);
    threads.forEach(Thread::interrupt);
  }
}
