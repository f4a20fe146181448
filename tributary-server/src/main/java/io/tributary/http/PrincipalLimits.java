package io.tributary.http;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.config.QuotaConfig;
import io.tributary.config.Settings;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-principal limits of one listener (docs/security.md, "Quotas and limits"): requests in
 * flight, SSE subscribers and parked long-polls of one caller at a time. The caller is the
 * authenticated principal ({@code principal:<name>}: an API key's name or a JWT's {@code sub});
 * a request without a token (or any request while authentication is off) counts for its remote
 * address ({@code address:<ip>}), since the anonymous principal is everybody.
 *
 * <p>A slot is taken with {@link #acquire} and given back with {@link Slot#release}, which is
 * idempotent: the owner releases it on every way its request, subscription or wait ends (the
 * response, a timeout, an error, the client closing the connection), and a second release is a
 * no-op, so a slot can neither leak nor be returned twice. Thread-safe: the counters are entries
 * of concurrent maps updated atomically per key (an entry is dropped at zero, so the maps hold
 * only callers with something in flight); called from every event loop of the listener.
 */
final class PrincipalLimits {
  /** What is counted. */
  enum Kind {
    REQUESTS(Settings.PRINCIPAL_REQUESTS_MAX.name(), "requests in flight"),
    SSE(Settings.PRINCIPAL_SSE_SUBSCRIBERS_MAX.name(), "SSE subscribers"),
    LONG_POLLS(Settings.PRINCIPAL_LONG_POLLS_MAX.name(), "parked long-polls");

    final String setting;
    final String label;

    Kind(String setting, String label) {
      this.setting = setting;
      this.label = label;
    }
  }

  /** One taken slot. Released once; later calls do nothing. Event loop of the request's connection. */
  static final class Slot {
    private final ConcurrentHashMap<String, Integer> counts;
    private final String who;
    private boolean released;

    private Slot(ConcurrentHashMap<String, Integer> counts, String who) {
      this.counts = counts;
      this.who = who;
    }

    void release() {
      if (released) {
        return;
      }
      released = true;
      counts.computeIfPresent(who, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  private final QuotaConfig config;
  private final ConcurrentHashMap<String, Integer> requests = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Integer> sse = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Integer> longPolls = new ConcurrentHashMap<>();
  /**
   * Requests refused per limit (a metric), this listener's own: a counter on the enum constant
   * would be shared by every listener and node in the JVM.
   */
  private final java.util.Map<Kind, java.util.concurrent.atomic.LongAdder> refused = new java.util.EnumMap<>(Kind.class);

  PrincipalLimits(QuotaConfig config) {
    this.config = config;
    for (Kind k : Kind.values()) {
      refused.put(k, new java.util.concurrent.atomic.LongAdder());
    }
  }

  /** Who {@code x} counts for: its authenticated principal, else its remote address. */
  static String caller(Exchange x) {
    if (x.principal != null && x.authenticated) {
      return "principal:" + x.principal.name();
    }
    java.net.InetAddress a = ConnectionGate.remoteAddress(x.ctx);
    return "address:" + (a == null ? "local" : a.getHostAddress());
  }

  /** A slot of {@code kind} for {@code who}, or null when it already holds its maximum. */
  Slot acquire(Kind kind, String who) {
    ConcurrentHashMap<String, Integer> counts = counts(kind);
    int max = max(kind);
    boolean[] taken = {false};
    counts.compute(who, (k, n) -> {
      int held = n == null ? 0 : n;
      if (held >= max) {
        return n;
      }
      taken[0] = true;
      return held + 1;
    });
    return taken[0] ? new Slot(counts, who) : null;
  }

  /** How many of {@code kind} {@code who} holds now (tests, metrics). */
  int held(Kind kind, String who) {
    return counts(kind).getOrDefault(who, 0);
  }

  /** The 429 of a caller at its maximum of {@code kind}: a slot frees when one of its own ends. */
  FullHttpResponse refusal(Kind kind, String who) {
    refused.get(kind).increment();
    FullHttpResponse r = Responses.error(HttpResponseStatus.TOO_MANY_REQUESTS, who + " has " + max(kind) + " "
        + kind.label + " on this node, its maximum (" + kind.setting + "); end one first");
    r.headers().set(ProtocolHeaders.TRIBUTARY_LIMIT, kind.setting);
    return r;
  }

  /** Prometheus lines: refusals per limit. */
  String metrics() {
    StringBuilder sb = new StringBuilder("# TYPE tributary_principal_limit_refused_total counter\n");
    for (Kind k : Kind.values()) {
      sb.append("tributary_principal_limit_refused_total{limit=\"").append(k.setting).append("\"} ")
          .append(refused.get(k).sum()).append('\n');
    }
    return sb.toString();
  }

  private ConcurrentHashMap<String, Integer> counts(Kind kind) {
    return switch (kind) {
      case REQUESTS -> requests;
      case SSE -> sse;
      case LONG_POLLS -> longPolls;
    };
  }

  private int max(Kind kind) {
    return switch (kind) {
      case REQUESTS -> config.principalRequestsMax();
      case SSE -> config.principalSseSubscribersMax();
      case LONG_POLLS -> config.principalLongPollsMax();
    };
  }
}
