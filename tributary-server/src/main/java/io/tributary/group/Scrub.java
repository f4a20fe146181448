package io.tributary.group;

import io.tributary.state.GroupState;
import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.SegmentStore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background verification of every group's local segments, so damage is found before a reader
 * (or a lagging follower's snapshot download) needs the bytes, while a healthy copy is likely
 * still around. One daemon thread walks the groups round-robin, one segment per step, re-checking
 * each record's header and CRC32C at no more than {@code scrub-bytes-per-second} (a token bucket;
 * the walk sleeps in {@link SegmentStore.Pacer}). After a full pass over every group it starts
 * again from the beginning. A damaged record is logged with group, segment and position, counted
 * ({@code tributary_scrub_errors_total}) and reported for repair, exactly like one found by a read.
 *
 * <p>Never interrupted: an interrupt during a {@link java.nio.channels.FileChannel} read closes the
 * channel, which is the segment's own. {@link #close} sets a flag the pacer checks.
 */
final class Scrub implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Scrub.class);
  /** A pass that found nothing to verify (empty groups) waits this long before the next. */
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Where damage goes: the host's repair path. */
  interface DamageSink {
    void damaged(int group, CorruptRecordException e);
  }

  private final int groups;
  private final IntFunction<GroupState> state;
  private final long bytesPerSecond;
  private final GroupMetrics metrics;
  private final DamageSink sink;
  private final long[] cursor;
  private volatile boolean closed;
  private final Thread thread;
  /** Token bucket (scrub thread only): bytes that may be verified now, refilled by elapsed time. */
  private double tokens;
  private long refilledNanos = System.nanoTime();
  /** Debt the bucket may run into before the walk sleeps: 20 ms of the rate, at least 64 KiB. */
  private final double quantumBytes;
  /** Verified bytes not yet added to the metric (scrub thread only). */
  private long unreported;

  Scrub(int groups, IntFunction<GroupState> state, long bytesPerSecond, GroupMetrics metrics, DamageSink sink) {
    this.groups = groups;
    this.state = state;
    this.bytesPerSecond = bytesPerSecond;
    this.metrics = metrics;
    this.sink = sink;
    this.cursor = new long[groups];
    this.quantumBytes = Math.max(64 * 1024, bytesPerSecond / 50.0);
    this.thread = new Thread(this::run, "tributary-scrub");
    thread.setDaemon(true);
  }

  void start() {
    if (bytesPerSecond > 0) {
      thread.start();
    }
  }

  private void run() {
    while (!closed) {
      boolean progressed = false;
      for (int g = 0; g < groups && !closed; g++) {
        try {
          progressed |= step(g);
        } catch (RuntimeException e) {
          // e.g. the group's store replaced by a snapshot install mid-step: start that group over
          LOG.warn("scrub of group {} at {} failed; restarting it from the beginning", g, cursor[g], e);
          cursor[g] = 0;
        } catch (java.io.InterruptedIOException e) {
          return;
        }
      }
      if (!progressed) {
        LockSupport.parkNanos(IDLE_NANOS);
      }
    }
  }

  /** Verifies one segment's worth of group {@code g}; returns whether it verified anything. */
  private boolean step(int g) throws java.io.InterruptedIOException {
    GroupState s = state.apply(g);
    if (s == null) {
      return false;
    }
    SegmentStore store = s.store();
    long end = store.publishedEnd();
    if (cursor[g] >= end) {
      cursor[g] = 0; // a full pass over this group is done (or its store shrank): start the next
      return false;
    }
    long from = cursor[g];
    cursor[g] = store.scrub(from, 1, this::pace, e -> {
      metrics.scrubError(g);
      LOG.error("scrub: group {} segment {} position {}: damaged record ({}, stream {} bytes [{}, {}) as its header says)",
          g, e.segment().getFileName(), e.position(), e.problem(), e.streamId(), e.streamFrom(), e.streamTo());
      sink.damaged(g, e);
    });
    reportVerified();
    return cursor[g] > from;
  }

  /**
   * Counts verified bytes and, once the bucket is a pacing quantum (20 ms of the rate) in debt,
   * sleeps until it is refilled. Called per record: sleeping (and counting into the metric) per
   * record made the scrub of 256-byte records park thousands of times a second, a tenth of a
   * loaded node's CPU in futex calls for a few MiB/s of reading.
   */
  private void pace(long bytes) {
    tokens -= bytes;
    unreported += bytes;
    if (tokens > -quantumBytes) {
      return;
    }
    reportVerified();
    while (tokens < 0 && !closed) {
      long now = System.nanoTime();
      tokens = Math.min(bytesPerSecond, tokens + (now - refilledNanos) * (bytesPerSecond / 1e9));
      refilledNanos = now;
      if (tokens < 0) {
        LockSupport.parkNanos((long) (-tokens / bytesPerSecond * 1e9));
      }
    }
  }

  private void reportVerified() {
    if (unreported > 0) {
      metrics.scrubVerified(unreported);
      unreported = 0;
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
