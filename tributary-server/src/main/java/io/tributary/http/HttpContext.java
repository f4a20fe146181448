package io.tributary.http;

import io.tributary.config.TributaryConfig;
import io.tributary.service.StreamService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every handler of one server shares: the service, the config, the cursor source, readiness
 * and the counters behind the live-read limits. Immutable references; counters are atomic.
 */
final class HttpContext {
  final StreamService service;
  final TributaryConfig config;
  final Cursors cursors;
  /** Why this node is not ready to serve; empty when it is. Must not block (called on event loops). */
  final java.util.function.Supplier<java.util.List<String>> notReady;
  final MetricsText metrics;
  final io.tributary.service.ClusterStatus clusterStatus;
  final io.tributary.service.SegmentExports segmentExports;
  /** Who a request comes from; {@code enabled()} false means every request may do everything. */
  final io.tributary.auth.Authentication auth;
  final AtomicInteger sseSubscribers = new AtomicInteger();
  /** Requests, SSE subscribers and long-polls per principal (or per address without a token). */
  final PrincipalLimits principalLimits;
  final AtomicInteger longPolls = new AtomicInteger();
  final AtomicInteger connections = new AtomicInteger();
  /** Connections refused because their address had connections-per-ip-max open. */
  final java.util.concurrent.atomic.AtomicLong refusedPerAddress = new java.util.concurrent.atomic.AtomicLong();
  /** Push subscriptions ({@code /v1/stream/__ds/}); null on listeners and nodes without them. */
  final io.tributary.service.subscription.Subscriptions subscriptions;
  /** The listener's buffered request and response bytes and their bounds. */
  final BufferBudget.Counters budget;
  /** The web console's files (served on the admin listener only), read at start. */
  final ConsoleRoutes.Files consoleFiles;

  HttpContext(StreamService service, TributaryConfig config, Cursors cursors, java.util.function.Supplier<java.util.List<String>> notReady, MetricsText metrics,
      io.tributary.service.ClusterStatus clusterStatus,
      io.tributary.service.SegmentExports segmentExports, io.tributary.auth.Authentication auth,
      io.tributary.service.subscription.Subscriptions subscriptions) {
    this.auth = auth;
    this.subscriptions = subscriptions;
    this.principalLimits = new PrincipalLimits(config.quotas());
    this.consoleFiles = ConsoleRoutes.Files.load();
    this.budget = new BufferBudget.Counters(config.abuse().requestBufferBytesMax(), config.abuse().responseBufferBytesMax());
    this.clusterStatus = clusterStatus;
    this.segmentExports = segmentExports;
    this.service = service;
    this.config = config;
    this.cursors = cursors;
    this.notReady = notReady;
    this.metrics = metrics;
  }

  /** Supplies the Prometheus text exposition for {@code /metrics}. */
  interface MetricsText {
    String scrape();
  }
}
