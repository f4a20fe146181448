package io.tributary.node;

import io.tributary.storage.DiskSpace;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the data directory's free space and writability at a fixed interval and publishes
 * the reading ({@link DiskSpace}), so {@code /readyz}, {@code /metrics} and write admission never
 * do file I/O on an event loop. Logs each change between "writes admitted" and "writes refused".
 * Runs on its own daemon thread ({@code tributary-health}).
 */
final class HealthMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);
  private final DiskSpace disk;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "tributary-health");
    t.setDaemon(true);
    return t;
  });
  private boolean refusing;

  HealthMonitor(DiskSpace disk) {
    this.disk = disk;
  }

  /** Takes a first reading on the caller's thread, then one every {@code intervalMillis}. */
  void start(long intervalMillis) {
    check();
    timer.scheduleWithFixedDelay(this::check, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  private void check() {
    DiskSpace.Reading r = disk.measure();
    if (timer.isShutdown()) {
      return; // closing: an interrupted write test says nothing about the disk
    }
    if (!r.ok() && !refusing) {
      LOG.warn("refusing appends and creates (507): {}", r.problem());
    } else if (r.ok() && refusing) {
      LOG.info("admitting writes again: {} bytes free on the data directory", r.freeBytes());
    }
    refusing = !r.ok();
  }

  /** The gauges of the last reading, in the Prometheus text format. */
  String metrics() {
    DiskSpace.Reading r = disk.reading();
    return "# TYPE tributary_disk_free_bytes gauge\ntributary_disk_free_bytes " + r.freeBytes() + '\n'
        + "# TYPE tributary_disk_free_bytes_min gauge\ntributary_disk_free_bytes_min " + r.freeBytesMin() + '\n'
        + "# HELP tributary_disk_writes_refused 1 while appends and creates get 507 (low disk or data directory not writable)\n"
        + "# TYPE tributary_disk_writes_refused gauge\ntributary_disk_writes_refused " + (r.ok() ? 0 : 1) + '\n';
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
