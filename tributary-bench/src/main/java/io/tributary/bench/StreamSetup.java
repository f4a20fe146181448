package io.tributary.bench;

import io.tributary.bench.client.HttpConn;
import io.tributary.bench.client.Requests;
import io.tributary.bench.client.SimpleCall;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Unmeasured preparation: creating streams and filling them, over a few connections, each doing
 * its share of the requests one after another (so the appends of one stream stay in order).
 * The main thread starts it and waits with a deadline; the calls run on the event loops.
 */
final class StreamSetup {
  private static final long SETUP_TIMEOUT_SECONDS = 600;

  private StreamSetup() {}

  /** One request of a setup plan; {@code stream} picks the stream's slot for the returned tail. */
  record Step(int stream, byte[] request) {}

  /** PUTs {@code count} streams of the tag; returns each one's tail offset (Stream-Next-Offset). */
  static String[] create(BenchContext ctx, String tag, int count, String contentType, int connections) {
    List<List<Step>> plan = plan(connections, count);
    for (int i = 0; i < count; i++) {
      byte[] put = Requests.request("PUT", ctx.target(tag, i), ctx.endpoint(i), contentType, new byte[0]);
      plan.get(i % plan.size()).add(new Step(i, put));
    }
    return run(ctx, plan, count, "create");
  }

  /** Appends {@code messages} bodies of {@code bytes} bytes to each stream; returns the tails. */
  static String[] fill(BenchContext ctx, String tag, int count, int messages, int bytes, int connections) {
    List<List<Step>> plan = plan(connections, count);
    byte[] body = new byte[bytes];
    for (int b = 0; b < bytes; b++) {
      body[b] = (byte) ('a' + b % 26);
    }
    for (int i = 0; i < count; i++) {
      byte[] req = Requests.request("POST", ctx.target(tag, i), ctx.endpoint(i), "application/octet-stream", body);
      for (int m = 0; m < messages; m++) {
        plan.get(i % plan.size()).add(new Step(i, req));
      }
    }
    return run(ctx, plan, count, "fill");
  }

  private static List<List<Step>> plan(int connections, int streams) {
    int n = Math.max(1, Math.min(connections, streams));
    List<List<Step>> plan = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      plan.add(new ArrayList<>());
    }
    return plan;
  }

  private static String[] run(BenchContext ctx, List<List<Step>> plan, int streams, String what) {
    AtomicReferenceArray<String> tails = new AtomicReferenceArray<>(streams);
    AtomicReference<String> firstError = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(plan.size());
    List<HttpConn> conns = new ArrayList<>();
    for (int c = 0; c < plan.size(); c++) {
      List<Step> steps = plan.get(c);
      if (steps.isEmpty()) {
        done.countDown();
        continue;
      }
      HttpConn conn = new HttpConn(ctx.loops, ctx.loops.loop(c), ctx.endpoint(steps.get(0).stream()), 1);
      conns.add(conn);
      conn.loop().execute(() -> new Runner(conn, steps, tails, firstError, done).next());
    }
    try {
      if (!done.await(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(what + " did not finish within " + SETUP_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + what, e);
    } finally {
      conns.forEach(c -> c.loop().execute(c::close));
    }
    if (firstError.get() != null) {
      throw new IllegalStateException(what + " failed: " + firstError.get());
    }
    String[] out = new String[streams];
    for (int i = 0; i < streams; i++) {
      out[i] = tails.get(i);
    }
    return out;
  }

  /** Sends one connection's steps in order; stops at the first error. Event loop only. */
  private record Runner(HttpConn conn, List<Step> steps, AtomicReferenceArray<String> tails,
      AtomicReference<String> firstError, CountDownLatch done, int[] at) {
    Runner(HttpConn conn, List<Step> steps, AtomicReferenceArray<String> tails, AtomicReference<String> firstError,
        CountDownLatch done) {
      this(conn, steps, tails, firstError, done, new int[1]);
    }

    void next() {
      if (at[0] >= steps.size() || firstError.get() != null) {
        done.countDown();
        return;
      }
      Step s = steps.get(at[0]++);
      conn.submit(new SimpleCall(s.request(), o -> {
        if (!o.ok()) {
          firstError.compareAndSet(null, o.cause() != null ? o.cause().toString()
              : "HTTP " + o.status() + " from " + conn.endpoint().url() + " (" + firstLine(s.request()) + ")");
        } else {
          String tail = o.headers().get("Stream-Next-Offset");
          if (tail != null) {
            tails.set(s.stream(), tail);
          }
        }
        next();
      }));
    }

    private static String firstLine(byte[] req) {
      String s = new String(req, 0, Math.min(req.length, 200), java.nio.charset.StandardCharsets.US_ASCII);
      int nl = s.indexOf('\r');
      return nl < 0 ? s : s.substring(0, nl);
    }
  }
}
