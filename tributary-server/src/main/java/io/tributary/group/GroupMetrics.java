package io.tributary.group;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Per-group histograms of the write path: append latency (queued until its outcome is known
 * here) and Raft entry sizes (appends and bytes per entry, i.e. how well group commit batches).
 * Thread-safe (Prometheus metrics are); rendered in the text format for {@code /metrics}.
 */
public final class GroupMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Histogram appendLatency = Histogram.builder()
      .name("tributary_append_latency_seconds")
      .help("time from queueing a write until its outcome is known on this node")
      .labelNames("group")
      .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)
      .classicOnly()
      .register(registry);
  private final Histogram batchAppends = Histogram.builder()
      .name("tributary_batch_appends")
      .help("commands per Raft entry")
      .labelNames("group")
      .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
      .classicOnly()
      .register(registry);
  private final Histogram batchBytes = Histogram.builder()
      .name("tributary_batch_bytes")
      .help("payload bytes per Raft entry")
      .labelNames("group")
      .classicUpperBounds(256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 33554432)
      .classicOnly()
      .register(registry);
  private final Counter damagedReads = Counter.builder()
      .name("tributary_damaged_reads_total")
      .help("reads that reached a local record failing its checksum (answered 500/503, never with the bytes)")
      .labelNames("group")
      .register(registry);

  private final Counter scrubBytes = Counter.builder()
      .name("tributary_scrub_bytes_verified_total")
      .help("segment bytes the background scrub re-read and found intact or damaged (scrub-bytes-per-second)")
      .register(registry);
  private final Counter scrubErrors = Counter.builder()
      .name("tributary_scrub_errors_total")
      .help("damaged records the background scrub found (each logged with group, segment and position)")
      .labelNames("group")
      .register(registry);

  private final Counter repairs = Counter.builder()
      .name("tributary_repairs_total")
      .help("repairs of damaged segment records from a peer, by result: repaired, intact (nothing left to repair), "
          + "gone (segment dropped after tiering), failed (an attempt no peer could serve; retried), abandoned")
      .labelNames("group", "result")
      .register(registry);

  private final Counter reclaimedBytes = Counter.builder()
      .name("tributary_reclaimed_bytes_total")
      .help("bytes of whole segment files of garbage (removed, expired, retention-trimmed data) deleted on a node that "
          + "does not tier (reclaim)")
      .labelNames("group")
      .register(registry);

  void reclaimed(int group, long bytes) {
    reclaimedBytes.labelValues(Integer.toString(group)).inc(bytes);
  }

  private final Counter compactedBytes = Counter.builder()
      .name("tributary_compacted_bytes_total")
      .help("bytes of garbage in sealed segments turned into holes by compaction (reclaim) on a node that does not "
          + "tier; the files keep their size, the file system gives the blocks back")
      .labelNames("group")
      .register(registry);

  void compacted(int group, long bytes) {
    compactedBytes.labelValues(Integer.toString(group)).inc(bytes);
  }

  void repair(int group, String result) {
    repairs.labelValues(Integer.toString(group), result).inc();
  }

  void scrubVerified(long bytes) {
    scrubBytes.inc(bytes);
  }

  void scrubError(int group) {
    scrubErrors.labelValues(Integer.toString(group)).inc();
  }

  public void damagedRead(int group) {
    damagedReads.labelValues(Integer.toString(group)).inc();
  }

  void entry(int group, int commands, int bytes) {
    String g = Integer.toString(group);
    batchAppends.labelValues(g).observe(commands);
    batchBytes.labelValues(g).observe(bytes);
  }

  void completed(int group, long nanos) {
    appendLatency.labelValues(Integer.toString(group)).observe(nanos / 1e9);
  }

  /** The histograms in the Prometheus text format. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
