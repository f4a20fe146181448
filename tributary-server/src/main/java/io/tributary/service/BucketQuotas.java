package io.tributary.service;

import io.tributary.common.Clock;
import io.tributary.config.QuotaConfig;
import io.tributary.config.Settings;
import io.tributary.group.Replication;
import io.tributary.state.Command;
import io.tributary.state.GroupState;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The quotas of every bucket, checked when a write is submitted through this node (before it
 * reaches the Raft log, so a refused write has no effect):
 *
 * Each bucket's quota is the node-wide {@code bucket-quota-*} values or its line of
 * {@code --bucket-quotas-file} ({@link BucketQuotaOverrides}).
 *
 * <ul>
 *   <li><b>streams</b> ({@code bucket-quota-streams-max}): the bucket's streams summed over this
 *       node's replicas of every group. Each group's count is kept by its apply thread
 *       ({@link GroupState#bucketStreamCount}), so the check reads a handful of counters. Creates
 *       in flight are not counted yet: concurrent creates (through this or other nodes, in other
 *       groups) can pass the quota by as many as are in flight at once. The per-group hard bound
 *       {@code bucket-streams-max} is decided in apply and never overshoots.
 *   <li><b>stored bytes</b> ({@code bucket-quota-bytes-max}): the bucket's live stream bytes (each
 *       stream from its retention floor to its tail) summed the same way
 *       ({@link GroupState#bucketStoredBytes}, maintained by deltas as entries are applied, never by
 *       scanning), plus the body being written. Overshoot as above, by the writes in flight.
 *   <li><b>append rate</b> ({@code bucket-quota-appends-per-second},
 *       {@code bucket-quota-append-bytes-per-second}): two token buckets per bucket on this node,
 *       each holding {@code bucket-quota-burst-ms} of its rate. A body larger than the burst passes
 *       when the bucket is full and leaves a debt. The 429's {@code Retry-After} is the time until
 *       the tokens this write needs are back.
 * </ul>
 *
 * Thread-safe: called from event loops and from the worker pool (large JSON bodies). The token
 * buckets of one bucket are updated under that bucket's lock; the map holds an entry only for a
 * bucket that exists, and a periodic pass drops refilled and deleted buckets' entries, so it stays
 * bounded by {@code buckets-max}.
 */
final class BucketQuotas {
  /**
   * Retry-After of a bucket over its stream or byte quota: room comes back only when the bucket's
   * owner deletes or trims something, so this is a polling interval (as for the other reached limits).
   */
  static final int FULL_RETRY_AFTER_SECONDS = 10;
  private final Replication host;
  private final Clock clock;
  private final QuotaConfig config;
  private final BucketQuotaOverrides quotas;
  private final Buckets buckets;
  private final ConcurrentHashMap<String, Rate> rates = new ConcurrentHashMap<>();
  /** Writes refused per quota (setting name → count), for {@link #metrics}. */
  private final ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> refused = new ConcurrentHashMap<>();
  private static final int SWEEP_SIZE_MIN = 64;
  private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  private final java.util.concurrent.atomic.AtomicLong lastSweepNanos = new java.util.concurrent.atomic.AtomicLong();

  BucketQuotas(Replication host, Clock clock, QuotaConfig config, Buckets buckets) {
    this.host = host;
    this.clock = clock;
    this.config = config;
    this.buckets = buckets;
    this.quotas = new BucketQuotaOverrides(config);
  }

  /** Starts watching the overrides file, if there is one. */
  void start() {
    quotas.start();
  }

  void close() {
    quotas.close();
  }

  /**
   * Null when {@code c} (about to be submitted, carrying {@code bytes} of stream data; the command
   * itself, not its {@code Stream-Incarnation} guard) fits its
   * bucket's quotas; otherwise why not. Commands that add no stream and no bytes always pass:
   * deletes and retention are how a bucket comes back under its quota.
   */
  QuotaExceededException admit(Command c, int bytes) {
    QuotaExceededException q = check(c, bytes);
    if (q != null) {
      refused.computeIfAbsent(q.limit(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }
    return q;
  }

  /** Prometheus lines: writes refused per quota (all four, zeros included). */
  String metrics() {
    StringBuilder sb = new StringBuilder("# TYPE tributary_bucket_quota_refused_total counter\n");
    for (String quota : java.util.List.of(Settings.BUCKET_QUOTA_STREAMS_MAX.name(), Settings.BUCKET_QUOTA_BYTES_MAX.name(),
        Settings.BUCKET_QUOTA_APPENDS_PER_SECOND.name(), Settings.BUCKET_QUOTA_APPEND_BYTES_PER_SECOND.name())) {
      java.util.concurrent.atomic.LongAdder n = refused.get(quota);
      sb.append("tributary_bucket_quota_refused_total{quota=\"").append(quota).append("\"} ")
          .append(n == null ? 0 : n.sum()).append('\n');
    }
    return sb.toString();
  }

  private QuotaExceededException check(Command c, int bytes) {
    boolean create = c instanceof Command.Create;
    boolean append = c instanceof Command.Append || c instanceof Command.AppendBatch
        || c instanceof Command.Transaction;
    if (!create && !append) {
      return null;
    }
    String bucket = c.key().bucket();
    QuotaConfig.Bucket q = quotas.of(bucket);
    // an identical re-create of an existing stream is answered 200 by apply: not a new stream
    QuotaExceededException over = create && host.replica(c.key()).view(c.key()) == null ? streams(bucket, q) : null;
    if (over == null && bytes > 0) {
      over = storedBytes(bucket, q, bytes);
    }
    if (over == null && (append || bytes > 0)) { // an empty create adds no bytes and is no append
      over = rate(bucket, q, bytes);
    }
    return over;
  }

  private QuotaExceededException streams(String bucket, QuotaConfig.Bucket q) {
    long streams = 0;
    for (int g = 0; g < host.groupCount(); g++) {
      GroupState s = host.replica(g).state();
      streams += s == null ? 0 : s.bucketStreamCount(bucket);
    }
    return streams < q.streamsMax() ? null : new QuotaExceededException(Settings.BUCKET_QUOTA_STREAMS_MAX.name(),
        "bucket '" + bucket + "' holds " + streams + " streams, its quota (bucket-quota-streams-max " + q.streamsMax()
            + "); delete some first", FULL_RETRY_AFTER_SECONDS);
  }

  private QuotaExceededException storedBytes(String bucket, QuotaConfig.Bucket q, int bytes) {
    long stored = 0;
    for (int g = 0; g < host.groupCount(); g++) {
      GroupState s = host.replica(g).state();
      stored += s == null ? 0 : s.bucketStoredBytes(bucket);
    }
    return stored + bytes <= q.bytesMax() ? null : new QuotaExceededException(Settings.BUCKET_QUOTA_BYTES_MAX.name(),
        "bucket '" + bucket + "' stores " + stored + " bytes; " + bytes + " more would pass its quota "
            + "(bucket-quota-bytes-max " + q.bytesMax() + "); delete streams or raise their retention floor first",
        FULL_RETRY_AFTER_SECONDS);
  }

  private QuotaExceededException rate(String bucket, QuotaConfig.Bucket q, int bytes) {
    if (!buckets.exists(bucket)) {
      return null; // answered 404 further on; no rate state for names that are not buckets
    }
    // a bucket whose quota changed (the overrides file) starts over with a full bucket at the new rate
    Rate r = rates.compute(bucket, (b, old) -> old != null && old.quota.equals(q) ? old : new Rate(clock.nanoTime(), q));
    Rate.Wait wait = r.take(clock.nanoTime(), bytes);
    forgetIdle();
    if (wait == null) {
      return null;
    }
    long seconds = (wait.nanos() + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1);
    return new QuotaExceededException(wait.appendsShort() ? Settings.BUCKET_QUOTA_APPENDS_PER_SECOND.name()
        : Settings.BUCKET_QUOTA_APPEND_BYTES_PER_SECOND.name(), "bucket '" + bucket + "' appends faster than its "
        + "quota on this node (bucket-quota-appends-per-second " + q.appendsPerSecond()
        + ", bucket-quota-append-bytes-per-second " + q.appendBytesPerSecond() + ")", (int) Math.min(3600, Math.max(1, seconds)));
  }

  /** Tokens a bucket holds at most: {@code bucket-quota-burst-ms} of {@code perSecond}, at least one. */
  private double capacity(long perSecond) {
    return Math.max(1.0, perSecond * (config.bucketQuotaBurstMillis() / 1000.0));
  }

  /**
   * At most once per {@link #SWEEP_INTERVAL_NANOS}, and only once the map holds more than
   * {@link #SWEEP_SIZE_MIN} buckets: drops the token buckets that are full again (as good as new)
   * and those of deleted buckets.
   */
  private void forgetIdle() {
    long now = clock.nanoTime();
    long last = lastSweepNanos.get();
    if (rates.size() <= SWEEP_SIZE_MIN || now - last < SWEEP_INTERVAL_NANOS || !lastSweepNanos.compareAndSet(last, now)) {
      return;
    }
    rates.entrySet().removeIf(e -> e.getValue().fullAt(now) || !buckets.exists(e.getKey()));
  }

  /** The two token buckets of one bucket on this node. Guarded by its own lock. */
  private final class Rate {
    /** A refused take: which token ran short, and how long until enough is back. */
    record Wait(boolean appendsShort, long nanos) {}

    final QuotaConfig.Bucket quota;
    private final double countMax;
    private final double bytesMax;
    private double count;
    private double bytes;
    private long refilledNanos;

    Rate(long nowNanos, QuotaConfig.Bucket quota) {
      this.quota = quota;
      this.countMax = capacity(quota.appendsPerSecond());
      this.bytesMax = capacity(quota.appendBytesPerSecond());
      this.count = countMax;
      this.bytes = bytesMax;
      this.refilledNanos = nowNanos;
    }

    private void refill(long nowNanos) {
      long elapsed = Math.max(0, nowNanos - refilledNanos); // never refill backwards
      refilledNanos = Math.max(refilledNanos, nowNanos);
      count = Math.min(countMax, count + elapsed * (quota.appendsPerSecond() / 1e9));
      bytes = Math.min(bytesMax, bytes + elapsed * (quota.appendBytesPerSecond() / 1e9));
    }

    /**
     * Takes one append of {@code n} bytes: null when admitted; otherwise nothing is taken and the
     * wait says for how long. A body larger than the burst needs a full bucket and leaves a debt
     * (the bytes go negative), which delays the next appends by its size at the configured rate.
     */
    synchronized Wait take(long nowNanos, int n) {
      refill(nowNanos);
      double needBytes = Math.min(n, bytesMax);
      if (count >= 1 && bytes >= needBytes) {
        count -= 1;
        bytes -= n;
        return null;
      }
      double countWait = count >= 1 ? 0 : (1 - count) / quota.appendsPerSecond();
      double bytesWait = bytes >= needBytes ? 0 : (needBytes - bytes) / quota.appendBytesPerSecond();
      return new Wait(countWait >= bytesWait, (long) Math.ceil(Math.max(countWait, bytesWait) * 1e9));
    }

    synchronized boolean fullAt(long nowNanos) {
      refill(nowNanos);
      return count >= countMax && bytes >= bytesMax;
    }
  }
}
