package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;

/**
 * Sends one signed webhook delivery: checks what the target's name resolves to now
 * ({@link WebhookTargets#resolvedProblem}), POSTs the body with its {@code Webhook-Signature},
 * follows no redirects, reads at most {@link #ANSWER_BYTES_MAX} of the answer and reports whether
 * the consumer accepted (2xx) and said {@code {"done":true}}. Thread-safe; the DNS check runs on
 * {@code blocking}, the exchange on the HTTP client's own threads.
 */
public final class WebhookSender {
  static final int ANSWER_BYTES_MAX = 64 * 1024;
  private final HttpClient http;
  private final Executor blocking;

  /** What one delivery attempt came to. */
  record Result(boolean accepted, boolean done, String reason) {}

  public WebhookSender(Executor blocking) {
    this.blocking = blocking;
    this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10)).executor(blocking).build();
  }

  CompletableFuture<Result> send(String url, byte[] body, String signature, WebhookTargets targets, long timeoutMillis) {
    URI uri = URI.create(url);
    return CompletableFuture.supplyAsync(() -> targets.resolvedProblem(uri.getHost()), blocking).thenCompose(problem -> {
      if (problem != null) {
        return CompletableFuture.completedFuture(new Result(false, false, "target refused: " + problem));
      }
      HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(timeoutMillis))
          .header("Content-Type", "application/json").header("Webhook-Signature", signature)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
      return http.sendAsync(req, r -> new Bounded())
          .thenApply(this::result);
    });
  }

  private Result result(HttpResponse<byte[]> r) {
    if (r.statusCode() / 100 != 2) {
      return new Result(false, false, "answered " + r.statusCode());
    }
    boolean done = false;
    try {
      JsonNode n = r.body().length == 0 ? null : Events.JSON.readTree(r.body());
      done = n != null && n.path("done").asBoolean(false);
    } catch (java.io.IOException e) {
      // an answer that is not JSON is an acceptance without done
    }
    return new Result(true, done, "answered " + r.statusCode());
  }

  /** Keeps the first {@link #ANSWER_BYTES_MAX} bytes of an answer and cancels the rest. */
  private static final class Bounded implements HttpResponse.BodySubscriber<byte[]> {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> done = new CompletableFuture<>();
    private Flow.Subscription subscription;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer b : items) {
        int n = Math.min(b.remaining(), ANSWER_BYTES_MAX - out.size());
        byte[] chunk = new byte[n];
        b.get(chunk);
        out.write(chunk, 0, n);
      }
      if (out.size() >= ANSWER_BYTES_MAX) {
        subscription.cancel();
        done.complete(out.toByteArray());
      }
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      done.complete(out.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return done;
    }
  }
}
