package io.tributary.cluster;

import io.tributary.testing.LoadMonitor;
import io.tributary.common.Offsets;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A writer thread against a cluster: owns a few {@link ProducerLedger}s and appends to one of them
 * at a time as its idempotent producer, one request in flight, each attempt to a node picked at
 * random (followers forward to the group's leader). An attempt whose outcome is unknown
 * (connection refused or reset, request timeout, 503/429) is retried with the <em>same</em>
 * (Producer-Id, Epoch, Seq) and body — through a node picked afresh, so often another one — until
 * a node answers 200 (appended now) or 204 (a duplicate: an earlier attempt was applied and only
 * its acknowledgement was lost). Only then does the producer move to the next seq.
 *
 * <p>Every answer is checked as it arrives; anything unexpected is reported to the
 * {@link LoadMonitor} and stops this writer: a status other than 200/204/429/503, a 503 without
 * {@code Retry-After}, producer headers that do not echo the request, a 200 whose
 * {@code Stream-Next-Offset} is not where the acknowledged appends end (this producer is the only
 * writer of its stream, so that position is known exactly). A 204 on the very first attempt is
 * not wrong (the data is there once) but means the cluster applied one HTTP request twice
 * internally; it is counted.
 *
 * <p>Threads: {@link #run} on its own thread; {@link #requestStop} from the test thread. A stop is
 * honoured only between appends, so a stopped writer leaves no append with an unknown outcome.
 */
final class ClusterWriter implements Runnable {
  private static final long BACKOFF_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long BACKOFF_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /** Pause after an ack, so the load leaves the 2-core test box some room for restarts. */
  private static final int THINK_MILLIS_MAX = 8;

  private final int index;
  private final List<ProducerLedger> streams;
  private final List<ClusterNodes.Member> nodes;
  private final StreamClient client;
  private final LoadMonitor progress;
  private final SplittableRandom random;
  private final String context;
  private volatile boolean stopRequested;
  private ProducerLedger current;
  private long backoffNanos = BACKOFF_MIN_NANOS;

  /** What one attempt came to. */
  private enum Result { ACKED, RETRY, FATAL }

  /**
   * Starts {@code count} writers (daemon threads named {@code name-<w>}); writer w owns streams w,
   * w + count, ... Adds each writer and its thread to {@code writers} and {@code threads}.
   */
  static void startAll(int count, List<ProducerLedger> streams, ClusterNodes cluster, StreamClient client,
      LoadMonitor progress, long seed, String ctx, String name, List<ClusterWriter> writers, List<Thread> threads) {
    List<Thread> started = new java.util.ArrayList<>();
    for (int w = 0; w < count; w++) {
      List<ProducerLedger> own = new java.util.ArrayList<>();
      for (int i = w; i < streams.size(); i += count) {
        own.add(streams.get(i));
      }
      ClusterWriter writer = new ClusterWriter(w, own, cluster.members(), client, progress, seed, ctx);
      Thread t = new Thread(writer, name + "-" + w);
      t.setDaemon(true);
      writers.add(writer);
      started.add(t);
    }
    threads.addAll(started);
    started.forEach(Thread::start);
  }

  ClusterWriter(int index, List<ProducerLedger> streams, List<ClusterNodes.Member> nodes, StreamClient client,
      LoadMonitor progress, long seed, String context) {
    this.index = index;
    this.streams = List.copyOf(streams);
    this.nodes = List.copyOf(nodes);
    this.client = client;
    this.progress = progress;
    this.random = new SplittableRandom(seed ^ (0x5DEECE66DL * (index + 1)));
    this.context = context;
  }

  void requestStop() {
    stopRequested = true;
  }

  @Override
  public void run() {
    try {
      while (true) {
        if (current == null || current.pending == null) {
          if (stopRequested) {
            return;
          }
          current = streams.get(random.nextInt(streams.size()));
        }
        Result r = attempt(current, nodes.get(random.nextInt(nodes.size())));
        if (r == Result.FATAL) {
          return;
        }
        if (r == Result.RETRY) {
          progress.retried();
          LockSupport.parkNanos(backoffNanos); // retry pacing, not a wait for a condition
          backoffNanos = Math.min(BACKOFF_MAX_NANOS, backoffNanos * 2);
        } else {
          backoffNanos = BACKOFF_MIN_NANOS;
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(THINK_MILLIS_MAX + 1))); // load shaping
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      progress.fail("writer " + index + " crashed: " + e);
      throw e;
    }
  }

  /**
   * The stream's next append through {@code node} only, retried on unknown outcomes until
   * acknowledged (for the test thread, after the writer threads stopped). Fails on a fatal answer
   * (reported to the progress as well) or when {@code deadline} passes with 503s only.
   */
  void appendThrough(ProducerLedger s, ClusterNodes.Member node, Duration deadline)
      throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < end) {
      Result r = attempt(s, node);
      if (r == Result.ACKED) {
        return;
      }
      if (r == Result.FATAL) {
        throw new AssertionError(progress.failures().get(progress.failures().size() - 1));
      }
      LockSupport.parkNanos(BACKOFF_MAX_NANOS); // retry pacing
    }
    throw new AssertionError(node.id() + " did not acknowledge " + s.name + " seq " + s.pending.seq + " within "
        + deadline + " (" + s.pending.attempts + " attempts) [" + context + "]");
  }

  /** One request for the stream's pending append through {@code node}, and its bookkeeping. */
  private Result attempt(ProducerLedger s, ClusterNodes.Member node) throws InterruptedException {
    ProducerLedger.Pending p = s.pendingOrNext();
    p.attempts++;
    HttpResponse<byte[]> res;
    try {
      res = client.append(node.baseUrl(), s.name, ProducerLedger.CONTENT_TYPE, p.body, s.producer(p.seq));
    } catch (IOException e) {
      return Result.RETRY; // it may or may not have reached the log
    }
    int status = res.statusCode();
    String what = s.name + " seq " + p.seq + " via " + node.id() + " (attempt " + p.attempts + ", " + p.body.length
        + " bytes)";
    if (status == 503 || status == 429) {
      if (res.headers().firstValue("Retry-After").isEmpty()) {
        return fatal(what + ": " + status + " without Retry-After: " + body(res));
      }
      return Result.RETRY;
    }
    if (status != 200 && status != 204) {
      return fatal(what + ": unexpected " + status + " " + res.headers().map() + " " + body(res));
    }
    String epoch = res.headers().firstValue("Producer-Epoch").orElse(null);
    String seq = res.headers().firstValue("Producer-Seq").orElse(null);
    if (!Long.toString(s.epoch).equals(epoch) || !Long.toString(p.seq).equals(seq)) {
      return fatal(what + ": " + status + " echoes Producer-Epoch " + epoch + " / Producer-Seq " + seq
          + ", expected " + s.epoch + " / " + p.seq + " (Producer-Seq is the highest accepted seq)");
    }
    if (status == 204) {
      if (p.attempts == 1) {
        progress.firstAttemptDuplicate();
      }
      s.acknowledge(null, node.id());
      progress.acked();
      return Result.ACKED;
    }
    String next = res.headers().firstValue("Stream-Next-Offset").orElse(null);
    long end = s.ackedBytes() + p.body.length;
    if (next == null || !next.equals(Offsets.format(end))) {
      return fatal(what + ": 200 with Stream-Next-Offset " + next + ", but the acknowledged appends up to this one"
          + " end at byte " + end + " (" + Offsets.format(end) + ")");
    }
    s.acknowledge(next, node.id());
    progress.acked();
    return Result.ACKED;
  }

  private Result fatal(String message) {
    progress.fail("writer " + index + ": " + message + " [" + context + "]");
    return Result.FATAL;
  }

  private static String body(HttpResponse<byte[]> res) {
    return new String(res.body(), StandardCharsets.UTF_8);
  }
}
