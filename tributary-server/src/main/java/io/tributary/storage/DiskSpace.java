package io.tributary.storage;

import io.tributary.common.InsufficientStorageException;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Free space on the file system of a node's data directory, as admission control for writes.
 *
 * <p>A write that reaches the Raft log is written again into a data segment, and a disk that
 * fills half-way through an entry turns acknowledged appends into lost ones; so writes are
 * refused (507) while free space is below {@code freeBytesMin}, long before the disk is full.
 * Between two measurements every admitted write reserves what it may cost on disk (its bytes
 * in the log and in a segment, plus framing), so a burst cannot run past the watermark before
 * the next measurement notices. A measurement also counts the largest write refused since the
 * previous one: free space that is above the watermark but too little for the writes clients are
 * sending is reported as low too, so {@code /readyz} never says ready while every write gets 507.
 * The same pass checks that the directory can be written at all (a file created, written,
 * fsync'd and removed).
 *
 * <p>Threads: {@link #measure} on the node's health thread (never an event loop: it does I/O);
 * {@link #admit} and {@link #reading} on any thread, against the last published reading.
 */
public final class DiskSpace {
  /** What a write may cost on disk beyond its bytes counted twice (headers, framing, index). */
  static final long WRITE_OVERHEAD_BYTES = 1024;
  private static final String PROBE = ".write-probe";

  /** One measurement: free bytes, and why writes are refused (null when they are not). Immutable. */
  public record Reading(long freeBytes, long freeBytesMin, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  /** How a measurement reads the file system; the real one, or a fake in tests of the thresholds. */
  public interface Probe {
    long usableBytes() throws IOException;

    void writeTest() throws IOException;
  }

  private final Probe probe;
  private final long freeBytesMin;
  private final int retryAfterSeconds;
  private final AtomicLong reservedBytes = new AtomicLong();
  /** The cost of the largest write refused since the last measurement (0: none). */
  private final AtomicLong refusedCostMax = new AtomicLong();
  private volatile Reading reading;

  public DiskSpace(Path dataDir, long freeBytesMin, int retryAfterSeconds) {
    this(fileSystemProbe(dataDir), freeBytesMin, retryAfterSeconds);
  }

  public DiskSpace(Probe probe, long freeBytesMin, int retryAfterSeconds) {
    this.probe = probe;
    this.freeBytesMin = freeBytesMin;
    this.retryAfterSeconds = retryAfterSeconds;
    this.reading = new Reading(Long.MAX_VALUE, freeBytesMin, null);
  }

  /** Reads the file system and publishes the result; resets the reservations it now accounts for. */
  public Reading measure() {
    Reading r;
    try {
      probe.writeTest();
      long free = probe.usableBytes();
      long refused = refusedCostMax.getAndSet(0);
      r = new Reading(free, freeBytesMin, free < freeBytesMin + refused
          ? "data directory has " + free + " bytes free, " + (free < freeBytesMin ? "below" : "too close to")
              + " disk-free-bytes-min " + freeBytesMin + (refused > 0 ? " for the writes sent (up to " + refused
                  + " bytes on disk each)" : "") + ": appends and creates are refused until space is freed"
          : null);
    } catch (IOException | RuntimeException e) {
      long free = reading.freeBytes();
      r = new Reading(free, freeBytesMin, "data directory cannot be written: " + e);
    }
    reservedBytes.set(0);
    reading = r;
    return r;
  }

  /** The last measurement. */
  public Reading reading() {
    return reading;
  }

  /**
   * Admits a write of {@code bytes} (reserving its cost until the next measurement), or says why
   * not: null when admitted, else the failure to answer with. Any thread.
   */
  public InsufficientStorageException admit(long bytes) {
    Reading r = reading;
    long cost = 2 * bytes + WRITE_OVERHEAD_BYTES;
    if (!r.ok()) {
      refusedCostMax.accumulateAndGet(cost, Math::max);
      return new InsufficientStorageException(r.problem(), retryAfterSeconds);
    }
    long reserved = reservedBytes.addAndGet(cost);
    if (r.freeBytes() - reserved < freeBytesMin) {
      reservedBytes.addAndGet(-cost);
      refusedCostMax.accumulateAndGet(cost, Math::max);
      return new InsufficientStorageException("data directory is close to disk-free-bytes-min " + freeBytesMin
          + " (" + r.freeBytes() + " bytes free at the last check, " + (reserved - cost)
          + " reserved by writes since): retry shortly", retryAfterSeconds);
    }
    return null;
  }

  private static Probe fileSystemProbe(Path dataDir) {
    return new Probe() {
      private FileStore store;

      @Override
      public long usableBytes() throws IOException {
        if (store == null) {
          store = Files.getFileStore(dataDir);
        }
        return store.getUsableSpace();
      }

      @Override
      public void writeTest() throws IOException {
        Path p = dataDir.resolve(PROBE);
        try (var ch = java.nio.channels.FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
          ch.write(java.nio.ByteBuffer.wrap(new byte[] {'o', 'k'}));
          ch.force(false);
        } finally {
          Files.deleteIfExists(p);
        }
      }
    };
  }
}
