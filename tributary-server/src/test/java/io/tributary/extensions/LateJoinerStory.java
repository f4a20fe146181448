package io.tributary.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.common.Offsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The late-joiner story, step by step (see {@link StreamExtensionsContract#aLateJoinerBootstrapsAndEndsWithTheSameState}):
 * a witness tails a JSON stream over SSE from the start; writers append 10,000 events (eight
 * producers, one event per request); after 6,000 the application reads the stream, publishes its
 * state as a snapshot at the tail it read and trims retention there; the remaining 4,000 events
 * and a closing append follow while a new client arrives: it gets 410 for offset -1, loads
 * {@code $bootstrap} (snapshot + retained messages), tails from its {@code Stream-Next-Offset} over
 * SSE, and must end with exactly the witness's state. State: per key, the sum and count of values.
 */
final class LateJoinerStory {
  static final int EVENTS = 10_000;
  static final int BEFORE_SNAPSHOT = 6_000;
  private static final int PRODUCERS = 8;
  private static final int KEYS = 37;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final StreamExtensionsContract api;
  private final String path;
  private final HttpClient sseHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  LateJoinerStory(StreamExtensionsContract api, String path) {
    this.api = api;
    this.path = path;
  }

  /** The application state: key → {sum, count}. Applying events in any order gives the same state. */
  static final class State {
    final TreeMap<String, long[]> byKey = new TreeMap<>();
    long events;

    void apply(JsonNode event) {
      long[] sc = byKey.computeIfAbsent(event.get("k").asText(), k -> new long[2]);
      sc[0] += event.get("v").asLong();
      sc[1]++;
      events++;
    }

    String toJson() throws Exception {
      Map<String, long[]> copy = new TreeMap<>(byKey);
      return JSON.writeValueAsString(Map.of("events", events, "byKey", copy));
    }

    static State fromJson(byte[] snapshot) throws Exception {
      State s = new State();
      JsonNode root = JSON.readTree(snapshot);
      s.events = root.get("events").asLong();
      for (Map.Entry<String, JsonNode> e : root.get("byKey").properties()) {
        s.byKey.put(e.getKey(), new long[] {e.getValue().get(0).asLong(), e.getValue().get(1).asLong()});
      }
      return s;
    }

    String describe() throws Exception {
      return toJson();
    }
  }

  void run() throws Exception {
    ExecutorService readers = Executors.newFixedThreadPool(3);
    try {
      runWith(readers);
    } finally {
      readers.shutdownNow();
    }
  }

  /** {@code readers} runs the witness, the remaining writes and the joiner's tail (blocking tasks: not the common pool). */
  private void runWith(ExecutorService readers) throws Exception {
    assertThat(api.send("PUT", path, "application/json", (String) null).statusCode()).isEqualTo(201);
    CompletableFuture<State> witness = CompletableFuture.supplyAsync(() -> tail(new State(), Offsets.BEGINNING),
        readers);

    appendEvents(0, BEFORE_SNAPSHOT);
    // the application computes its state from the stream and publishes it at the tail it read
    State atSnapshot = new State();
    long snapshotAt = catchUp(atSnapshot);
    assertThat(atSnapshot.events).isEqualTo(BEFORE_SNAPSHOT);
    HttpResponse<byte[]> pub = api.send("PUT", path + "/$snapshot/" + Offsets.format(snapshotAt), "application/json",
        atSnapshot.toJson());
    assertThat(pub.statusCode()).as(StreamExtensionsContract.text(pub)).isEqualTo(204);
    assertThat(api.send("PUT", path + "/$retention/" + Offsets.format(snapshotAt), null, (String) null).statusCode())
        .isEqualTo(204);

    CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> {
      try {
        appendEvents(BEFORE_SNAPSHOT, EVENTS);
        assertThat(api.send("POST", path, "application/json", (String) null, "Stream-Closed", "true").statusCode())
            .isEqualTo(204);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, readers);

    // the late joiner
    assertThat(api.send("GET", path + "?offset=-1", null, (String) null).statusCode()).as("history trimmed")
        .isEqualTo(410);
    Multipart boot = Multipart.parse(api.send("GET", path + "/$bootstrap", null, (String) null));
    State joiner = State.fromJson(boot.parts().get(0).body());
    for (int i = 1; i < boot.parts().size(); i++) {
      joiner.apply(JSON.readTree(boot.parts().get(i).body()));
    }
    long from = Offsets.parse(boot.header("Stream-Next-Offset"));
    CompletableFuture<State> joinerTail = boot.header("Stream-Closed") != null ? CompletableFuture.completedFuture(joiner)
        : CompletableFuture.supplyAsync(() -> tail(joiner, from), readers);
    rest.get(); // a writer's failure surfaces here, before anyone waits for a close that never comes
    State joined = joinerTail.get(60, TimeUnit.SECONDS);
    State all = witness.get(60, TimeUnit.SECONDS);
    assertThat(all.events).as("the witness saw every event").isEqualTo(EVENTS);
    assertThat(joined.events).as("the joiner ends with every event, none twice").isEqualTo(EVENTS);
    assertThat(joined.describe()).isEqualTo(all.describe());
    State expected = new State();
    for (int i = 0; i < EVENTS; i++) {
      expected.apply(JSON.readTree(event(i)));
    }
    assertThat(all.describe()).isEqualTo(expected.describe());
  }

  private static String event(int i) {
    return "{\"k\":\"key" + (i % KEYS) + "\",\"v\":" + i + "}";
  }

  /** Events {@code [from, to)} by {@link #PRODUCERS} producers, one event per request, exactly once. */
  private void appendEvents(int from, int to) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
    try {
      Future<?>[] fs = new Future<?>[PRODUCERS];
      for (int p = 0; p < PRODUCERS; p++) {
        final int producer = p;
        fs[p] = pool.submit(() -> {
          long seq = 0;
          for (int i = from + producer; i < to; i += PRODUCERS) {
            String[] headers = {"Producer-Id", "w" + producer + "-" + from, "Producer-Epoch", "0", "Producer-Seq",
                Long.toString(seq++)};
            HttpResponse<byte[]> r = api.send("POST", path, "application/json", event(i), headers);
            for (int retry = 0; r.statusCode() == 503 && retry < 20; retry++) {
              // overload is answered with 503 + Retry-After; the producer headers make the retry exactly-once
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
              r = api.send("POST", path, "application/json", event(i), headers);
            }
            assertThat(r.statusCode()).as("event %d: %s", i, StreamExtensionsContract.text(r)).isIn(200, 204);
          }
          return null;
        });
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /** Reads everything with catch-up GETs into {@code s}; returns the tail reached. */
  private long catchUp(State s) throws Exception {
    long off = Offsets.BEGINNING;
    while (true) {
      HttpResponse<byte[]> r = api.send("GET", path + "?offset=" + (off < 0 ? "-1" : Offsets.format(off)), null,
          (String) null);
      assertThat(r.statusCode()).isEqualTo(200);
      for (JsonNode e : JSON.readTree(r.body())) {
        s.apply(e);
      }
      off = StreamExtensionsContract.next(r);
      if (r.headers().firstValue("Stream-Up-To-Date").isPresent()) {
        return off;
      }
    }
  }

  /**
   * Tails over SSE from {@code from} until the stream is closed, applying every event to
   * {@code s}. A server ends SSE responses after sse-connection-max-ms; like any client, this one
   * then reconnects from the last {@code streamNextOffset} it was given.
   */
  private State tail(State s, long from) {
    try {
      long at = from;
      for (int connection = 0; connection < 100; connection++) {
        String url = api.urlFor(path + "?offset=" + (at < 0 ? "-1" : Offsets.format(at)) + "&live=sse");
        HttpResponse<Stream<String>> r = sseHttp.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
            HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        String event = null;
        try (Stream<String> lines = r.body()) {
          for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
            String line = it.next();
            if (line.startsWith("event:")) {
              event = line.substring(6).trim();
            } else if (line.startsWith("data:") && "data".equals(event)) {
              for (JsonNode e : JSON.readTree(line.substring(5).getBytes(StandardCharsets.UTF_8))) {
                s.apply(e);
              }
            } else if (line.startsWith("data:") && "control".equals(event)) {
              JsonNode control = JSON.readTree(line.substring(5));
              at = Offsets.parse(control.get("streamNextOffset").asText());
              if (control.path("streamClosed").asBoolean(false)) {
                return s;
              }
            }
          }
        }
      }
      throw new AssertionError("the stream was not closed after 100 SSE connections");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
