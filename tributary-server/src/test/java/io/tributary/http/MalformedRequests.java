package io.tributary.http;

import io.tributary.common.Offsets;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Seeded generator of bad requests for {@link MalformedInputTest}. Every request is wrong by
 * construction (a request that might be valid would make its expected status ambiguous), and none
 * of them may change data: writes go to pre-created streams with an argument that must be refused,
 * and creates go to fresh paths that must still be missing afterwards ({@link #neverCreated}).
 * Requests are built as ISO-8859-1 strings, so each char is one byte on the wire. Single-threaded.
 */
final class MalformedRequests {
  /** How a request is delivered and what counts as a correct reaction. */
  enum Delivery {
    /** Send everything, expect one response per entry of {@code answers}, in order. */
    ANSWER,
    /** Send the bytes, then close the socket (optionally with a reset); no answer required. */
    ABORT,
    /** Send the bytes, then shut down output; an answer is optional but must be 4xx. */
    HALF_CLOSE,
    /** Send the bytes, then dribble {@code extraBytes} one at a time; expect 408 or a close in time. */
    STALL,
    /** Send the head, then stream {@code extraBytes} of body while reading; expect 413. */
    OVERSIZED
  }

  /** One bad request with its expected answers ({@link #answers} in pipeline order). */
  record BadRequest(String category, String label, Delivery delivery, String bytes, int extraBytes,
      List<Set<Integer>> answers, boolean mustClose, boolean reset) {
    byte[] wire() {
      return bytes.getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  /** A stream created before the barrage: its URLs (one per route family) and shape. */
  record Stream(List<String> urls, String contentType, long tailBytes) {}

  static final Set<Integer> BAD = Set.of(400);
  static final Set<Integer> NOT_FOUND = Set.of(404);
  static final Set<Integer> CONFLICT = Set.of(409);
  static final Set<Integer> NOT_ALLOWED = Set.of(405);
  static final Set<Integer> TOO_LARGE = Set.of(413);
  static final Set<Integer> ANY_4XX = IntStream.range(400, 500).boxed().collect(Collectors.toUnmodifiableSet());

  /** The producer state of {@link #prod} before the barrage. */
  static final String PRODUCER = "p1";
  static final int PRODUCER_EPOCH = 2;
  static final int PRODUCER_LAST_SEQ = 3;
  static final String LAST_STREAM_SEQ = "m";

  private final Random r;
  private final Stream bin;
  private final Stream json;
  private final Stream closed;
  private final Stream prod;
  private final Stream ttl;
  private final List<BadRequest> out = new ArrayList<>();
  private final List<String> neverCreated = new ArrayList<>();
  private String category;
  private int fresh;

  MalformedRequests(long seed, Stream bin, Stream json, Stream closed, Stream prod, Stream ttl) {
    this.r = new Random(seed);
    this.bin = bin;
    this.json = json;
    this.closed = closed;
    this.prod = prod;
    this.ttl = ttl;
  }

  /** Paths that bad creates were aimed at; each must still be missing after the barrage. */
  List<String> neverCreated() {
    return neverCreated;
  }

  List<BadRequest> generate() {
    category = "offset";
    offsets(110);
    category = "live";
    live(25);
    category = "producer-header";
    producerHeaders(45);
    category = "create-header";
    createHeaders(70);
    category = "append-header";
    appendHeaders(40);
    category = "json-body";
    jsonBodies(70);
    category = "method";
    methods(45);
    category = "path";
    paths(60);
    category = "http-syntax";
    httpSyntax(60);
    category = "aborted";
    aborted(30);
    category = "slowloris";
    stalls(10);
    category = "oversized";
    oversized(12);
    category = "pipelined";
    pipelined(20);
    return out;
  }

  // ------------------------------------------------------------------ bad offsets and live values

  private void offsets(int n) {
    // tail + 1 addresses the next message (StreamReads.addressedStart); two past is out of range
    String tail2 = Offsets.format(bin.tailBytes() + 2);
    List<String> values = new ArrayList<>(List.of(
        "offset=", "offset=-1&offset=-1", "offset=now&offset=-1", "offset=-1&offset=",
        "offset=%20", "offset=+", "offset=%20-1", "offset=-1%20", "offset=now%20", "offset=%09now",
        "offset=0000000000000000_000000000000000%20", "offset=%200000000000000000_0000000000000000",
        "offset=..%2F..%2Fetc%2Fpasswd", "offset=../../", "offset=..", "offset=%2E%2E%2F",
        "offset=0000000000000000/0000000000000000", "offset=%2F",
        "offset=%00", "offset=-1%00", "offset=now%00", "offset=0000000000000000_000000000000000%00",
        "offset=%0D%0A", "offset=%0A", "offset=now%0D%0AX-Injected:%201",
        "offset=,", "offset=-1,now", "offset=0000000000000000_0000000000000000,0000000000000000_0000000000000001",
        "offset=" + "9".repeat(300), "offset=" + "0".repeat(2000), "offset=" + "a".repeat(5000),
        "offset=-2", "offset=-0", "offset=-01", "offset=-1.0", "offset=-9223372036854775808",
        "offset=-0000000000000000_0000000000000001",
        "offset=" + tail2, "offset=" + Offsets.format(bin.tailBytes() + 1000),
        "offset=0000000000000000_9999999999999999", "offset=9999999999999999_9999999999999999",
        "offset=0000000000000001_0000000000000000",
        "offset=NOW", "offset=Now", "offset=now1", "offset=nowx", "offset=now-1", "offset=-now", "offset=now&offset=now",
        "offset=000000000000000_0000000000000000", "offset=00000000000000000_0000000000000000",
        "offset=0000000000000000-0000000000000000", "offset=0000000000000000_000000000000000a",
        "offset=000000000000000a_0000000000000000", "offset=0000000000000000_+000000000000000",
        "offset=0000000000000000_-000000000000001", "offset=0000000000000000__000000000000000",
        "offset=" + "%D9%A0".repeat(16) + "_" + "%D9%A0".repeat(16),
        "offset=" + "%EF%BC%90".repeat(16) + "_" + "%EF%BC%90".repeat(16),
        "offset=%", "offset=%zz", "offset=%E2%82", "offset=%C3%28", "offset=%FF",
        "offset=null", "offset=undefined", "offset=true", "offset=0x10", "offset=1e3", "offset=0"));
    cover(values, n, v -> {
      String url = pick(pick(List.of(bin, json, closed, prod, ttl)).urls());
      String live = pick(List.of("", "", "&live=long-poll", "&live=sse"));
      add(v + live, BAD, get(url + "?" + v + live));
    });
  }

  private void live(int n) {
    List<String> values = List.of("offset=-1&live=", "offset=-1&live=LONG-POLL", "offset=-1&live=Long-Poll",
        "offset=-1&live=ws", "offset=-1&live=true", "offset=-1&live=sse%00", "offset=-1&live=long_poll",
        "offset=-1&live=%20sse", "offset=-1&live=sse%20", "offset=-1&live=longpoll", "offset=now&live=SSE",
        "offset=now&live=" + "x".repeat(3000), "offset=now&live=1", "offset=-1&live=%",
        "live=long-poll", "live=sse", "live=sse&cursor=1", "cursor=5&live=long-poll", "offset=&live=sse",
        "offset=&live=long-poll", "live=long-poll&offset=");
    cover(values, n, v -> add(v, BAD, get(pick(pick(List.of(bin, json, closed, prod)).urls()) + "?" + v)));
  }

  // ------------------------------------------------------------------ bad protocol headers

  private void producerHeaders(int n) {
    List<String> badNumbers = List.of("1abc", "0xyz", "1e3", "-1", "", "abc", "+1", "1.0", "0x1", utf8("\u0661"),
        "9007199254740992", "18446744073709551616", "99999999999999999999", "1 2", "\u00bd", "NaN");
    List<Runnable> variants = List.of(
        () -> producerCase("only Producer-Id", BAD, "Producer-Id: px"),
        () -> producerCase("only Producer-Epoch", BAD, "Producer-Epoch: 0"),
        () -> producerCase("only Producer-Seq", BAD, "Producer-Seq: 0"),
        () -> producerCase("id+epoch", BAD, "Producer-Id: px", "Producer-Epoch: 0"),
        () -> producerCase("id+seq", BAD, "Producer-Id: px", "Producer-Seq: 0"),
        () -> producerCase("epoch+seq", BAD, "Producer-Epoch: 0", "Producer-Seq: 0"),
        () -> producerCase("empty id", BAD, "Producer-Id:", "Producer-Epoch: 0", "Producer-Seq: 0"),
        () -> {
          String v = pick(badNumbers);
          producerCase("epoch " + v, BAD, "Producer-Id: px", "Producer-Epoch: " + v, "Producer-Seq: 0");
        },
        () -> {
          String v = pick(badNumbers);
          producerCase("seq " + v, BAD, "Producer-Id: px", "Producer-Epoch: 0", "Producer-Seq: " + v);
        },
        () -> producerCase("stale epoch", Set.of(403), "Producer-Id: " + PRODUCER,
            "Producer-Epoch: " + (PRODUCER_EPOCH - 1), "Producer-Seq: " + (PRODUCER_LAST_SEQ + 1)),
        () -> producerCase("new epoch seq>0", BAD, "Producer-Id: " + PRODUCER,
            "Producer-Epoch: " + (PRODUCER_EPOCH + 1), "Producer-Seq: " + (1 + r.nextInt(5))),
        () -> producerCase("seq gap", CONFLICT, "Producer-Id: " + PRODUCER, "Producer-Epoch: " + PRODUCER_EPOCH,
            "Producer-Seq: " + (PRODUCER_LAST_SEQ + 2 + r.nextInt(100))),
        () -> producerCase("unknown producer seq>0", CONFLICT, "Producer-Id: fresh-" + r.nextInt(1000),
            "Producer-Epoch: 0", "Producer-Seq: " + (1 + r.nextInt(100))));
    cover(variants, n, Runnable::run);
  }

  /** A POST to the producer stream with a valid body and type, so only the producer headers are wrong. */
  private void producerCase(String label, Set<Integer> expected, String... headers) {
    add(label, expected, request("POST", pick(prod.urls()), "x", with(headers, "Content-Type: " + prod.contentType())));
  }

  private void createHeaders(int n) {
    List<String> ttls = List.of("abc", "-1", "00060", "+60", "60.5", "1e3", "", " ", "9999999999999", "0x10",
        "60s", "1,2", utf8("\u0666\u0660"), "\t60\t7");
    List<String> expiries = List.of("tomorrow", "2099-01-01", "2099-13-01T00:00:00Z", "2099-01-01T25:00:00Z",
        "2099-01-01 00:00:00Z", "4102444800", "", "2099-01-01T00:00:00", "2099-02-30T00:00:00Z",
        "2099-01-01T00:00:00+25:00", "Thu, 01 Jan 2099 00:00:00 GMT", "+999999999-12-31T23:59:59Z",
        "+10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z");
    String binSource = pick(bin.urls());
    List<Runnable> variants = List.of(
        () -> {
          String v = pick(ttls);
          createCase("ttl " + v, BAD, "Stream-TTL: " + v);
        },
        () -> createCase("ttl+expires", BAD, "Stream-TTL: 60", "Stream-Expires-At: 2099-01-01T00:00:00Z"),
        () -> {
          String v = pick(expiries);
          createCase("expires " + v, BAD, "Stream-Expires-At: " + v);
        },
        () -> createCase("sub-offset without fork", BAD, "Stream-Fork-Sub-Offset: " + r.nextInt(3)),
        () -> createCase("fork offset without fork", BAD, "Stream-Fork-Offset: " + Offsets.format(0)),
        () -> createCase("fork bad offset", BAD, "Stream-Forked-From: " + binSource,
            "Stream-Fork-Offset: " + pick(List.of("garbage", "-1", "now", "", "0000000000000000_00000000000000zz"))),
        () -> createCase("fork offset beyond tail", BAD, "Stream-Forked-From: " + pick(bin.urls()),
            "Stream-Fork-Offset: " + pick(List.of(Offsets.format(bin.tailBytes() + 1),
                "9999999999999999_9999999999999999"))),
        () -> createCase("fork missing source", NOT_FOUND, "Stream-Forked-From: /v1/stream/no-such-source-" + r.nextInt(1000)),
        () -> createCase("fork non-stream source", BAD, "Stream-Forked-From: "
            + pick(List.of("/healthz", "garbage", "", "/v1/stream/", "/ds/UPPER/x", "/v1/stream/a%zz"))),
        () -> createCase("fork bad sub-offset", BAD, "Stream-Forked-From: " + binSource,
            "Stream-Fork-Offset: " + Offsets.format(0), "Stream-Fork-Sub-Offset: " + pick(List.of("-1", "x", "1.5", ""))),
        () -> createCase("fork sub-offset without offset", BAD, "Stream-Forked-From: " + binSource,
            "Stream-Fork-Sub-Offset: " + (1 + r.nextInt(5))),
        () -> createCase("fork sub-offset overshoot", BAD, "Stream-Forked-From: " + binSource,
            "Stream-Fork-Offset: " + Offsets.format(bin.tailBytes()), "Stream-Fork-Sub-Offset: " + (1 + r.nextInt(99))),
        () -> createCase("fork json sub-offset overshoot", BAD, "Stream-Forked-From: " + pick(json.urls()),
            "Stream-Fork-Offset: " + Offsets.format(0), "Stream-Fork-Sub-Offset: 1000"),
        () -> createCase("fork type mismatch", CONFLICT, "Stream-Forked-From: " + binSource, "Content-Type: text/plain"),
        () -> add("re-PUT other type", CONFLICT, request("PUT", pick(bin.urls()), null, "Content-Type: text/plain")),
        () -> add("re-PUT with ttl", CONFLICT, request("PUT", pick(bin.urls()), null,
            "Content-Type: " + bin.contentType(), "Stream-TTL: 60")),
        () -> add("re-PUT closed", CONFLICT, request("PUT", pick(bin.urls()), null,
            "Content-Type: " + bin.contentType(), "Stream-Closed: true")),
        () -> add("re-PUT open on closed", CONFLICT, request("PUT", pick(closed.urls()), null,
            "Content-Type: " + closed.contentType())),
        () -> add("re-PUT other ttl", CONFLICT, request("PUT", pick(ttl.urls()), null,
            "Content-Type: " + ttl.contentType(), "Stream-TTL: 61")));
    cover(variants, n, Runnable::run);
  }

  /** A PUT to a fresh path with otherwise valid headers. */
  private void createCase(String label, Set<Integer> expected, String... headers) {
    boolean hasType = false;
    for (String h : headers) {
      hasType |= h.startsWith("Content-Type:");
    }
    String[] all = hasType ? headers : with(headers, "Content-Type: text/plain");
    add(label, expected, request("PUT", freshPath(), r.nextBoolean() ? null : "body", all));
  }

  private void appendHeaders(int n) {
    List<Runnable> variants = List.of(
        () -> add("no Content-Type", BAD, request("POST", pick(bin.urls()), "abc")),
        () -> add("blank Content-Type", BAD, request("POST", pick(bin.urls()), "abc", "Content-Type: ")),
        () -> add("type mismatch", CONFLICT, request("POST", pick(bin.urls()), "abc",
            "Content-Type: " + pick(List.of("text/plain", "application/json", "image/png")))),
        () -> add("octets to json stream", CONFLICT, request("POST", pick(json.urls()), "{}",
            "Content-Type: application/octet-stream")),
        () -> add("append to closed", CONFLICT, request("POST", pick(closed.urls()), "abc",
            "Content-Type: " + closed.contentType())),
        () -> add("append-and-close to closed", CONFLICT, request("POST", pick(closed.urls()), "abc",
            "Content-Type: " + closed.contentType(), "Stream-Closed: true")),
        () -> add("Stream-Seq regression", CONFLICT, request("POST", pick(prod.urls()), "abc",
            "Content-Type: " + prod.contentType(), "Stream-Seq: " + pick(List.of("a", LAST_STREAM_SEQ, "", "M", "l~",
                "10", "\t")))),
        () -> add("empty body", BAD, request("POST", pick(List.of(bin, prod)).urls().get(0), "",
            "Content-Type: " + bin.contentType())),
        () -> add("empty body, Stream-Closed not true", BAD, request("POST", pick(bin.urls()), "",
            "Content-Type: " + bin.contentType(), "Stream-Closed: " + pick(List.of("false", "yes", "1", "", "tru", "truee")))),
        () -> add("append to missing stream", NOT_FOUND, request("POST", "/v1/stream/missing-" + r.nextInt(100000),
            "abc", "Content-Type: text/plain")),
        () -> add("close missing stream", NOT_FOUND, request("POST", "/ds/malb/missing-" + r.nextInt(100000),
            "", "Stream-Closed: true")));
    cover(variants, n, Runnable::run);
  }

  // ------------------------------------------------------------------ bad JSON

  private void jsonBodies(int n) {
    List<String> bodies = new ArrayList<>(List.of("{\"a\":", "[1,2", "{\"a\":1}x", "{\"a\":1} {\"b\":2}", "[]", "[ ]",
        "[\n]", "[".repeat(600) + "]".repeat(600), "{\"a\":".repeat(1000) + "1" + "}".repeat(1000),
        "\"\u00ff\u00fe\"", "\"\u00c3\u0028\"", "[\"\u00ed\u00a0\u0080\"]", "\u00ff", "\"\u00e2\u0082\"",
        "NaN", "[NaN]", "Infinity", "-Infinity", "{\"a\":NaN}", "// c\n{}", "/* c */ 1", "{'a':1}", "{a:1}",
        "[1,]", "{\"a\":1,}", "01", "0x10", "undefined", "\"a\u0001b\"", "\"tab\there\"", "   ", "\n\t",
        "{\"a\" 1}", "[1 2]", "tru", "nul", "\"unterminated", "{\"a\":1]", "[1}", "}", "]", ":", ",", "+1",
        ".5", "1.", "-", "\"\\x41\"", "\"\\u12\"", "{\"\u0000\":1}", "[1]]", "[[1]"));
    cover(bodies, n, b -> {
      String type = pick(List.of("application/json", "application/json; charset=utf-8", "APPLICATION/JSON"));
      if (r.nextInt(4) == 0) {
        if (b.replaceAll("\\s", "").equals("[]")) {
          b = "[1,"; // PUT [] is valid: it creates an empty JSON stream
        }
        add("PUT " + b, BAD, request("PUT", freshPath(), b, "Content-Type: " + type));
      } else {
        add("POST " + b, BAD, request("POST", pick(json.urls()), b, "Content-Type: " + type));
      }
    });
  }

  // ------------------------------------------------------------------ bad methods and paths

  private void methods(int n) {
    List<String> unsupported = List.of("PATCH", "TRACE", "PROPFIND", "MKCOL", "LOCK", "COPY", "MOVE", "LINK",
        "PURGE", "get", "Get", "post", "FOO", "X".repeat(50), "QUERY", "SEARCH");
    List<String> invalidTokens = List.of("G@T", "(GET)", "{}", "GE\"T", "G,ET", "GET;", "\u00c9T\u00c9");
    List<Runnable> variants = List.of(
        () -> {
          String m = pick(unsupported);
          add(m + " on stream", NOT_ALLOWED, request(m, pick(pick(List.of(bin, json, closed, prod)).urls()), null));
        },
        () -> {
          String m = pick(unsupported);
          add(m + " with body", NOT_ALLOWED, request(m, pick(bin.urls()), "abc", "Content-Type: " + bin.contentType()));
        },
        () -> {
          String m = pick(List.of("POST", "PUT", "DELETE", "PATCH", "TRACE"));
          add(m + " on system route", NOT_ALLOWED, request(m, pick(List.of("/healthz", "/readyz", "/%72eadyz")),
              m.equals("POST") || m.equals("PUT") ? "x" : null, "Content-Type: text/plain"));
        },
        () -> {
          String m = pick(invalidTokens);
          add("invalid method " + m, BAD, m + " " + pick(bin.urls()) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        },
        () -> add("CONNECT authority", ANY_4XX, "CONNECT localhost:" + (1 + r.nextInt(65000))
            + " HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        () -> add("DELETE missing stream", NOT_FOUND, request("DELETE", "/v1/stream/missing-" + r.nextInt(100000), null)));
    cover(variants, n, Runnable::run);
  }

  private void paths(int n) {
    List<String> badEncodings = List.of("%", "%2", "%zz", "%c3%28", "%ff", "%00", "%0a", "%0D", "%7f", "%1b[31m",
        "%E2%82", "%ED%A0%80", "%C0%AF");
    List<String> reserved = List.of("/ds/v1/x", "/ds/ds/x", "/ds/healthz/x", "/ds/__ds/x", "/ds/admin/x",
        "/ds/streams/x", "/ds/metrics/x", "/ds/readyz/x");
    List<String> badBuckets = List.of("/ds/UPPER/x", "/ds/-x/y", "/ds/a%20b/y", "/ds/" + "b".repeat(64) + "/y",
        "/ds/_x/y", "/ds/.x/y", "/Upper/x", "/b%C3%A9/x", "/ds/a*b/y", "/a:b/c");
    List<String> emptyNames = List.of("/v1/stream/", "/streams/", "/v1/stream//x", "/v1/stream/a//b", "/streams//x",
        "/ds/malb//x", "/malb//x", "/v1/stream/x//");
    List<String> unknown = List.of("/", "/v1", "/v1/", "/v1/streams/x", "/healthz/x", "/HEALTHZ", "/.env",
        "/admin/x", "/metrics/x", "/metrics", "/%6detrics", "/admin/groups", "/admin/cluster", "/internal/snapshot/0",
        "/internal/segment/0?from=0&to=1", "/%69nternal/snapshot/0", "/v1/stream/__ds/x", "/v1/stream/__ds", "/streams", "*", "/v1/stream",
        "/malb/s/x/y", "/malb/s/snapshot/x/y");
    // one segment that is a valid bucket name is Ursula's bucket route: only PUT creates it
    List<String> missingBuckets = List.of("/nope", "/favicon.ico", "/index.html", "/wp-login.php");
    List<Runnable> variants = List.of(
        () -> {
          String m = pick(List.of("GET", "HEAD", "PUT", "POST", "DELETE"));
          String path = pick(List.of("/v1/stream/mal", "/ds/malb/s", "/streams/s", "/malb/s")) + pick(badEncodings);
          add(m + " bad escape " + path, BAD, request(m, path, m.equals("POST") ? "x" : null, "Content-Type: text/plain"));
        },
        () -> {
          String m = pick(List.of("GET", "PUT", "HEAD"));
          add(m + " stream name > 1024", BAD, request(m, "/v1/stream/" + "n".repeat(1025 + r.nextInt(3000)), null));
        },
        () -> {
          String m = pick(List.of("GET", "PUT", "POST"));
          add(m + " reserved bucket", BAD, request(m, pick(reserved), m.equals("POST") ? "x" : null,
              "Content-Type: text/plain"));
        },
        () -> {
          String m = pick(List.of("GET", "PUT", "HEAD"));
          add(m + " bad bucket", BAD, request(m, pick(badBuckets), null));
        },
        () -> {
          String m = pick(List.of("GET", "PUT", "HEAD", "POST", "DELETE"));
          add(m + " empty stream name", BAD, request(m, pick(emptyNames), m.equals("POST") ? "x" : null,
              "Content-Type: text/plain"));
        },
        () -> {
          String m = pick(List.of("GET", "HEAD", "PUT", "POST", "DELETE"));
          add(m + " unknown route", NOT_FOUND, request(m, pick(unknown), m.equals("POST") ? "x" : null,
              "Content-Type: text/plain"));
        },
        () -> {
          String m = pick(List.of("GET", "HEAD", "DELETE"));
          add(m + " missing bucket", NOT_FOUND, request(m, pick(missingBuckets), null));
        },
        () -> {
          String m = pick(List.of("GET", "HEAD"));
          add(m + " missing stream", NOT_FOUND, request(m, pick(List.of("/v1/stream/", "/streams/", "/ds/malb/",
              "/malb/")) + "missing-" + r.nextInt(100000) + pick(List.of("", "/../../etc/passwd", "/%2e%2e/x",
              "?offset=-1")), null));
        });
    cover(variants, n, Runnable::run);
  }

  // ------------------------------------------------------------------ bad HTTP syntax

  private void httpSyntax(int n) {
    String bigValue = "a".repeat(17 * 1024);
    List<String> requests = List.of(
        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003" + "\u0000".repeat(32) + "\r\n\r\n",
        "GET\r\n\r\n", "GET /healthz\r\n\r\n", "GET /healthz HTTP/0.9\r\n\r\n", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1.1 extra\r\nHost: x\r\n\r\n", "GET /healthz FOO/1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1\r\nHost: x\r\n\r\n", "GET /healthz HTTP/1.1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/01.1\r\nHost: x\r\n\r\n", "/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET /healthz?a=b c HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /" + "p".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + bigValue + "\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n" + ("X-Many: " + "m".repeat(100) + "\r\n").repeat(200) + "\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nBad\u0000Name: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n(x): y\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\n: no-name\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHeader\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nH\u00e9ader: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Tab\t: y\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A : y\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 5, 6\r\n\r\nhello!",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: -1\r\n\r\nhello",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: abc\r\n\r\nhello",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: +5\r\n\r\nhello",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 0x5\r\n\r\nhello",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 99999999999999999999\r\n\r\nhello",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: gzip\r\n\r\nhello",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
        "PUT /v1/stream/" + "never-ct-nul HTTP/1.1\r\nHost: x\r\nContent-Type: text/pl\u0000ain\r\n\r\n",
        "PUT /v1/stream/" + "never-ct-cr HTTP/1.1\r\nHost: x\r\nContent-Type: text/pl\rain\r\n\r\n",
        "POST /ds/malb/prod-p HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nProducer-Id: p\u0000x\r\n"
            + "Producer-Epoch: 0\r\nProducer-Seq: 0\r\nContent-Length: 1\r\n\r\nx",
        "POST /ds/malb/prod-p HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nStream-Seq: z\u0001\r\n"
            + "Content-Length: 1\r\n\r\nx",
        "GET /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\u0000b\"\r\n\r\n");
    neverCreated.add("/v1/stream/never-ct-nul");
    neverCreated.add("/v1/stream/never-ct-cr");
    // Control bytes in the request target: Netty frames such a request fine, the router refuses it,
    // and the connection may stay open (so no close is required for these two).
    List<String> badTargets = List.of("GET /healthz\u0001 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /v1/stream/mal\u007f HTTP/1.1\r\nHost: x\r\n\r\n");
    List<String> all = new ArrayList<>(requests);
    all.addAll(badTargets);
    cover(all, n, q -> add(RawHttp.escape(q.length() > 80 ? q.substring(0, 80) : q), ANY_4XX,
        !badTargets.contains(q), q));
  }

  // ------------------------------------------------------------------ truncated and aborted requests

  private void aborted(int n) {
    List<String> partial = List.of("G", "GET /v1/str", "GET /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nX-A: ",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n",
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n"
            + "b".repeat(50),
        "POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n10\r\nabc",
        "POST /v1/stream/mal/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
            + "{\"half\":",
        "");
    List<Runnable> variants = new ArrayList<>();
    for (String p : partial) {
      variants.add(() -> abort(p));
    }
    variants.add(() -> {
      String path = freshPath();
      abort("PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
          + "c".repeat(r.nextInt(99)));
    });
    cover(variants, n, Runnable::run);
  }

  private void abort(String bytes) {
    Delivery d = r.nextBoolean() ? Delivery.ABORT : Delivery.HALF_CLOSE;
    boolean reset = d == Delivery.ABORT && r.nextBoolean();
    String label = d + (reset ? " (reset) " : " ") + RawHttp.escape(bytes.length() > 60 ? bytes.substring(0, 60) : bytes);
    out.add(new BadRequest(category, label, d, bytes, 0, List.of(), false, reset));
  }

  private void stalls(int n) {
    List<String[]> heads = List.of(
        new String[] {"GET /v1/stream/mal-bin?offset=-1 HTTP/1.1\r\nHost: x\r\nX-Slow: ", "header dribble"},
        new String[] {"POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 1000\r\n\r\n", "body dribble"},
        new String[] {"GET /healthz HTTP/1.1\r\nHost: x", "head then silence"},
        new String[] {"POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 100\r\n\r\n" + "d".repeat(10), "truncated body then silence"},
        new String[] {"POST /v1/stream/mal-bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n5\r\nab", "chunk cut short then silence"});
    cover(heads, n, h -> {
      int dribble = h[1].contains("dribble") ? 1000 : 0;
      out.add(new BadRequest(category, h[1], Delivery.STALL, h[0], dribble, List.of(Set.of(408)), true, false));
    });
  }

  private void oversized(int n) {
    List<Runnable> variants = List.of(
        () -> oversize("POST declared", "POST " + pick(bin.urls()) + " HTTP/1.1\r\nHost: x\r\nContent-Type: "
            + bin.contentType() + "\r\nContent-Length: " + (65537 + r.nextInt(1_000_000)) + "\r\n\r\n", 0),
        () -> oversize("POST json declared", "POST " + pick(json.urls()) + " HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n", 0),
        () -> oversize("PUT declared", "PUT " + freshPath() + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 100000\r\n\r\n", 0),
        () -> oversize("POST chunked", "POST " + pick(bin.urls()) + " HTTP/1.1\r\nHost: x\r\nContent-Type: "
            + bin.contentType() + "\r\nTransfer-Encoding: chunked\r\n\r\n", 80 * 1024),
        () -> oversize("POST expect 100-continue", "POST " + pick(bin.urls()) + " HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: " + bin.contentType() + "\r\nExpect: 100-continue\r\nContent-Length: 200000\r\n\r\n", 0),
        () -> add("POST unknown expectation", Set.of(417), request("POST", pick(bin.urls()), "abc",
            "Content-Type: " + bin.contentType(), "Expect: " + pick(List.of("200-ok", "nonsense", "100-continue-x")))));
    cover(variants, n, Runnable::run);
  }

  private void oversize(String label, String head, int streamBytes) {
    out.add(new BadRequest(category, label, Delivery.OVERSIZED, head, streamBytes, List.of(TOO_LARGE), true, false));
  }

  // ------------------------------------------------------------------ pipelined garbage after valid requests

  private void pipelined(int n) {
    String binUrl = bin.urls().get(0);
    List<String[]> valid = List.of(
        new String[] {"HEAD " + binUrl + " HTTP/1.1\r\nHost: x\r\n\r\n", "200"},
        new String[] {"GET " + binUrl + "?offset=-1 HTTP/1.1\r\nHost: x\r\n\r\n", "200"},
        new String[] {"GET " + json.urls().get(0) + "?offset=now HTTP/1.1\r\nHost: x\r\n\r\n", "200"},
        new String[] {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "200"},
        new String[] {"GET " + binUrl + "?offset=" + Offsets.format(bin.tailBytes())
            + "&live=long-poll HTTP/1.1\r\nHost: x\r\n\r\n", "204"},
        new String[] {"GET " + pick(closed.urls()) + "?offset=-1 HTTP/1.1\r\nHost: x\r\n\r\n", "200"});
    List<String[]> bad = List.of(
        new String[] {"\u0000\u0001garbage\r\n\r\n", "400", "close"},
        new String[] {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400", "close"},
        new String[] {"GET " + binUrl + "?offset=zzz HTTP/1.1\r\nHost: x\r\n\r\n", "400", "keep"},
        new String[] {"PATCH " + binUrl + " HTTP/1.1\r\nHost: x\r\n\r\n", "405", "keep"},
        new String[] {"GET /v1/stream/missing-pipelined HTTP/1.1\r\nHost: x\r\n\r\n", "404", "keep"});
    cover(valid, n, v -> {
      String[] b = pick(bad);
      List<Set<Integer>> answers = new ArrayList<>(List.of(Set.of(Integer.parseInt(v[1])), Set.of(Integer.parseInt(b[1]))));
      String bytes = v[0] + b[0];
      if (b[2].equals("keep")) {
        bytes += "HEAD " + binUrl + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        answers.add(Set.of(200));
      }
      out.add(new BadRequest(category, RawHttp.escape(v[0].substring(0, v[0].indexOf(' ', 5))) + " + "
          + RawHttp.escape(b[0].substring(0, Math.min(30, b[0].length()))), Delivery.ANSWER, bytes, 0, answers,
          b[2].equals("close"), false));
    });
  }

  // ------------------------------------------------------------------ helpers

  /** Each variant once (in random order), then random ones until there are {@code n}. */
  private <T> void cover(List<T> variants, int n, Consumer<T> make) {
    List<T> order = new ArrayList<>(variants);
    Collections.shuffle(order, r);
    for (int i = 0; i < n; i++) {
      make.accept(i < order.size() ? order.get(i) : pick(variants));
    }
  }

  private void add(String label, Set<Integer> expected, String bytes) {
    add(label, expected, false, bytes);
  }

  private void add(String label, Set<Integer> expected, boolean mustClose, String bytes) {
    out.add(new BadRequest(category, label, Delivery.ANSWER, bytes, 0, List.of(expected), mustClose, false));
  }

  private <T> T pick(List<T> list) {
    return list.get(r.nextInt(list.size()));
  }

  private String freshPath() {
    String name = "never-" + (fresh++);
    String path = pick(List.of("/v1/stream/", "/streams/", "/ds/malb/", "/malb/")) + name;
    neverCreated.add(path);
    return path;
  }

  private static String[] with(String[] headers, String extra) {
    String[] all = java.util.Arrays.copyOf(headers, headers.length + 1);
    all[headers.length] = extra;
    return all;
  }

  /** A request that closes its connection after the answer; {@code body} null means no body. */
  static String request(String method, String target, String body, String... headers) {
    StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
    for (String h : headers) {
      sb.append(h).append("\r\n");
    }
    if (body != null) {
      sb.append("Content-Length: ").append(body.length()).append("\r\n");
    }
    sb.append("Connection: close\r\n\r\n");
    return body == null ? sb.toString() : sb.append(body).toString();
  }

  private static String get(String target) {
    return request("GET", target, null);
  }

  /** A string's UTF-8 bytes as ISO-8859-1 chars, so they go on the wire as UTF-8. */
  static String utf8(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }
}
