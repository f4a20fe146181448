package io.tributary.service;

import io.tributary.config.BucketQuotaFile;
import io.tributary.config.ConfigException;
import io.tributary.config.QuotaConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quota of each bucket: the node-wide {@code bucket-quota-*} values, or the bucket's line in
 * {@code --bucket-quotas-file}. The file is read at start (a bad one stops the start with the line
 * number) and then checked every {@link #CHECK_INTERVAL_MILLIS} on its own daemon thread
 * ({@code tributary-bucket-quotas}; never an event loop); a changed file that parses replaces the
 * overrides, one that does not is logged and the overrides in use stay. Request threads read the
 * published immutable map.
 */
final class BucketQuotaOverrides implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BucketQuotaOverrides.class);
  /** How often the file is checked for changes: edits apply within this long. */
  static final long CHECK_INTERVAL_MILLIS = 5000;

  private final QuotaConfig.Bucket defaults;
  private final Path file;
  private volatile Map<String, QuotaConfig.Bucket> overrides = Map.of();
  /** The file's last seen modification time and size. Checker thread (and the constructor). */
  private FileTime modified;
  private long size = -1;
  private ScheduledExecutorService checker;

  BucketQuotaOverrides(QuotaConfig config) {
    this.defaults = config.bucketDefaults();
    this.file = config.bucketQuotasFile();
    if (file != null) {
      try {
        reload();
      } catch (IOException e) {
        throw new ConfigException("--bucket-quotas-file: cannot read " + file + ": " + e.getMessage());
      }
      LOG.info("bucket quotas: {} override(s) from {}", overrides.size(), file);
    }
  }

  /** The quota of {@code bucket}. Any thread. */
  QuotaConfig.Bucket of(String bucket) {
    return overrides.getOrDefault(bucket, defaults);
  }

  void start() {
    if (file == null) {
      return;
    }
    checker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tributary-bucket-quotas");
      t.setDaemon(true);
      return t;
    });
    checker.scheduleWithFixedDelay(this::check, CHECK_INTERVAL_MILLIS, CHECK_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void check() {
    try {
      if (reload()) {
        LOG.info("bucket quotas: {} re-read, {} override(s)", file, overrides.size());
      }
    } catch (IOException | UncheckedIOException | ConfigException e) {
      LOG.warn("bucket quotas: {} not applied, the quotas in use stay: {}", file, e.getMessage());
    }
  }

  /** Reads the file when its time or size changed; true when new overrides were published. */
  private boolean reload() throws IOException {
    FileTime t = Files.getLastModifiedTime(file);
    long n = Files.size(file);
    if (t.equals(modified) && n == size) {
      return false;
    }
    Map<String, QuotaConfig.Bucket> parsed = BucketQuotaFile.parse(Files.readString(file, StandardCharsets.UTF_8), defaults);
    overrides = Map.copyOf(parsed);
    modified = t; // a file that fails to parse is read again at the next check (it may be half written)
    size = n;
    return true;
  }

  @Override
  public void close() {
    if (checker != null) {
      checker.shutdownNow();
    }
  }
}
