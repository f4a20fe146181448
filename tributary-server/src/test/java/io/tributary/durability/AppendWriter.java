package io.tributary.durability;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

/**
 * A writer thread: owns a few {@link ProducerStream}s and appends to one of them at a time, as
 * their idempotent producer, one request in flight. An append whose outcome is unknown
 * (connection refused or reset, request timeout, 503/429) is retried with the <em>same</em> seq and
 * body until the server answers 200 (appended now) or 204 (a duplicate: an earlier attempt was
 * applied and only its acknowledgement was lost). Only then does the producer move to the next seq.
 *
 * <p>Every answer is checked against the protocol and the ledger; anything unexpected is reported
 * to the {@link LoadMonitor} and stops this writer: a 204 for a seq never sent before (data
 * silently dropped), a 409 gap (the server forgot an acknowledged seq), a 200 for an append the
 * post-crash check had already found in the stream (a duplicate), an end offset that does not
 * advance.
 *
 * <p>Threads: {@link #run} on its own thread; {@link #requestStop} from the test thread. A stop is
 * honoured only between appends, so a stopped writer leaves no append with an unknown outcome.
 */
final class AppendWriter implements Runnable {
  private static final Pattern OFFSET = Pattern.compile("\\d{16}_\\d{16}");
  private static final long BACKOFF_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final long BACKOFF_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final int index;
  private final List<ProducerStream> streams;
  private final ServerGate gate;
  private final StreamClient client;
  private final LoadMonitor monitor;
  private final SplittableRandom random;
  private final String context;
  private volatile boolean stopRequested;
  private ProducerStream current;
  private long backoffNanos = BACKOFF_MIN_NANOS;

  /** What one attempt came to. */
  private enum Result { ACKED, RETRY, FATAL }

  AppendWriter(int index, List<ProducerStream> streams, ServerGate gate, StreamClient client, LoadMonitor monitor,
      long seed, String context) {
    this.index = index;
    this.streams = List.copyOf(streams);
    this.gate = gate;
    this.client = client;
    this.monitor = monitor;
    this.random = new SplittableRandom(seed ^ (0x5DEECE66DL * (index + 1)));
    this.context = context;
  }

  List<ProducerStream> streams() {
    return streams;
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
        ProducerStream s = current;
        Result r = gate.withServer(url -> attempt(url, s));
        if (r == Result.FATAL) {
          return;
        }
        if (r == Result.RETRY) {
          monitor.retried();
          LockSupport.parkNanos(backoffNanos); // retry pacing, not a wait for a condition
          backoffNanos = Math.min(BACKOFF_MAX_NANOS, backoffNanos * 2);
        } else {
          backoffNanos = BACKOFF_MIN_NANOS;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      monitor.fail("writer " + index + " crashed: " + e);
      throw e;
    }
  }

  /** One request for the stream's pending append, and its bookkeeping. Runs under the gate. */
  private Result attempt(String baseUrl, ProducerStream s) throws InterruptedException {
    ProducerStream.Pending p = s.pendingOrNext();
    p.attempts++;
    HttpResponse<byte[]> res;
    try {
      res = client.append(baseUrl, s.name, s.kind.contentType, p.body, s.producer(p.seq));
    } catch (IOException e) {
      p.appliedBeforeRetry = null; // it may or may not have reached the log
      return Result.RETRY;
    }
    int status = res.statusCode();
    if (status == 503 || status == 429) {
      p.appliedBeforeRetry = null;
      return Result.RETRY;
    }
    String what = s.name + " seq " + p.seq + " (attempt " + p.attempts + ", " + p.body.length + " bytes)";
    if (status != 200 && status != 204) {
      return fatal(what + ": unexpected " + status + " " + headers(res) + " "
          + new String(res.body(), StandardCharsets.UTF_8));
    }
    String epoch = res.headers().firstValue("Producer-Epoch").orElse(null);
    String seq = res.headers().firstValue("Producer-Seq").orElse(null);
    if (!Long.toString(s.epoch).equals(epoch) || !Long.toString(p.seq).equals(seq)) {
      return fatal(what + ": " + status + " echoes Producer-Epoch " + epoch + " / Producer-Seq " + seq
          + ", expected " + s.epoch + " / " + p.seq + " (Producer-Seq is the highest accepted seq)");
    }
    if (status == 204) {
      if (p.attempts == 1) {
        return fatal(what + ": 204 duplicate for a seq never sent before: the append was dropped");
      }
      if (Boolean.FALSE.equals(p.appliedBeforeRetry)) {
        return fatal(what + ": 204 duplicate, but after the restart the stream did not hold this append");
      }
      s.acknowledge(null);
      monitor.acked();
      return Result.ACKED;
    }
    if (Boolean.TRUE.equals(p.appliedBeforeRetry)) {
      return fatal(what + ": 200 appended again although the stream already held it after the restart");
    }
    String next = res.headers().firstValue("Stream-Next-Offset").orElse(null);
    if (next == null || !OFFSET.matcher(next).matches()) {
      return fatal(what + ": 200 with Stream-Next-Offset " + next);
    }
    String previous = s.lastKnownEndOffset();
    if (previous != null && next.compareTo(previous) <= 0) {
      return fatal(what + ": 200 with Stream-Next-Offset " + next + " not after the previous ack's " + previous);
    }
    s.acknowledge(next);
    monitor.acked();
    return Result.ACKED;
  }

  private Result fatal(String message) {
    monitor.fail("writer " + index + ": " + message + " [" + context + "]");
    return Result.FATAL;
  }

  private static String headers(HttpResponse<?> res) {
    return res.headers().map().toString();
  }
}
