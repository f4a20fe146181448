package io.tributary.service;

import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.config.TributaryConfig;
import io.tributary.group.Replication;
import io.tributary.state.Command;
import io.tributary.common.ContentTypes;
import io.tributary.state.Outcome;
import io.tributary.state.StreamView;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The protocol's stream operations on top of the node's groups. Writes become commands submitted
 * through the stream's group batcher and complete when applied; reads use the local replica's
 * published views ({@link StreamReads}). Thread-safe: called from Netty event loops, completes on
 * engine or read-pool threads; holds no mutable state of its own beyond {@link TtlTracker}.
 */
public final class StreamService {
  private final Replication host;
  private final Clock clock;
  private final TributaryConfig config;
  private final Supplier<String> pinIds;
  private final StreamReads reads;
  private final TtlTracker ttl;
  private final Buckets buckets;
  /** The per-bucket quotas, checked for every write before it is submitted. */
  private final BucketQuotas quotas;
  private final StreamHistory history;
  private final BatchAppends batches;
  /** The cold tier's admission control, or null when this node does not tier. */
  private final io.tributary.group.ColdTier tier;
  private final ExpirySweep expirySweep;
  /** Admission by free space on the data directory (507 below the watermark). */
  private final io.tributary.storage.DiskSpace disk;

  /** The node's configuration (limits such as the read chunk size). */
  TributaryConfig config() {
    return config;
  }

  /** Off-event-loop workers (the read pool): parsing of large JSON bodies runs there. */
  private final ReadPool workers;
  /** JSON bodies larger than this are parsed on {@link #workers}, not on the caller's event loop. */
  static final int INLINE_JSON_BYTES_MAX = 64 * 1024;

  /**
   * @param coldCache block cache of cold reads (tiered ranges are readable even when this node
   *     does not tier now)
   * @param tier the node's tiering, or null when it does not tier
   * @param blobStore where application snapshots above snapshot-inline-bytes-max go; null when
   *     there is no object store every replica can read (then every snapshot goes through Raft)
   * @param claims this node's uploads, shared with the tier and the orphan sweep
   * @param disk free-space admission of writes
   */
  public StreamService(Replication host, Clock clock, TributaryConfig config, Supplier<String> pinIds, ReadPool readPool,
      io.tributary.cold.BlockCache coldCache, io.tributary.group.ColdTier tier, io.tributary.cold.ObjectStore blobStore,
      io.tributary.group.UploadClaims claims, io.tributary.storage.DiskSpace disk) {
    this.host = host;
    this.workers = readPool;
    this.disk = disk;
    this.tier = tier;
    this.clock = clock;
    this.config = config;
    this.pinIds = pinIds;
    this.ttl = new TtlTracker(clock, this::touch);
    this.expirySweep = new ExpirySweep(host, clock, ttl, config.bounds().expirySweepProbesMax());
    this.reads = new StreamReads(host, clock, readPool, ttl, new ColdReads(coldCache, config.tiering().coldReadsPrefer(),
        tier == null ? 0 : config.tiering().coldReadsWaitMillis(), tier),
        blobStore);
    this.buckets = new Buckets(this, host);
    this.quotas = new BucketQuotas(host, clock, config.quotas(), buckets);
    this.history = new StreamHistory(this, reads, config, blobStore, claims);
    this.batches = new BatchAppends(this, host, config);
  }

  /** Starts the background work the service owns (the expiry sweep, the bucket quotas file check). */
  public void start() {
    expirySweep.start(config.bounds().expirySweepIntervalMillis());
    quotas.start();
  }

  /** The sweep of expired streams (its metrics; tests run a pass directly). */
  public ExpirySweep expirySweep() {
    return expirySweep;
  }

  /** Prometheus lines of the bucket quotas (writes refused per quota). */
  public String quotaMetrics() {
    return quotas.metrics();
  }

  public void close() {
    expirySweep.close();
    quotas.close();
  }

  public StreamHistory history() {
    return history;
  }

  public BatchAppends batches() {
    return batches;
  }

  public StreamReads reads() {
    return reads;
  }

  public Buckets buckets() {
    return buckets;
  }

  /**
   * Completes when this node's replica of the stream's group reflects every write acknowledged
   * anywhere before the call (immediately on the group's leader). Reads wait for it first.
   */
  public CompletableFuture<Void> readBarrier(StreamKey key) {
    return host.readBarrier(key.groupIndex(host.groupCount()));
  }

  // ---------------------------------------------------------------- create

  public CompletableFuture<WriteResult> create(CreateRequest r) {
    if (!buckets.exists(r.key().bucket())) {
      // this replica may not have applied a bucket just created through another node: confirm first
      return host.readBarrier(Buckets.REGISTRY_GROUP).thenCompose(v -> buckets.exists(r.key().bucket())
          ? createInBucket(r)
          : CompletableFuture.completedFuture(WriteResult.of(WriteResult.Status.NOT_FOUND,
              "bucket '" + r.key().bucket() + "' does not exist (create it with PUT /ds/" + r.key().bucket() + " or PUT /" + r.key().bucket() + ")")));
    }
    return createInBucket(r);
  }

  private CompletableFuture<WriteResult> createInBucket(CreateRequest r) {
    if (r.fork() != null) {
      return new ForkCreation(this, r).run();
    }
    String ct = r.contentType() == null ? ContentTypes.DEFAULT : r.contentType();
    return createResolved(r, ct, r.ttlSeconds(), r.expiresAt(), r.expiresAtMillis(), null);
  }

  CompletableFuture<WriteResult> createResolved(CreateRequest r, String ct, long ttlSeconds, String expiresAt,
      long expiresAtMillis, Command.ForkSpec fork) {
    return offLoopIfLarge(ContentTypes.isJson(ct) ? r.body().length : 0,
        () -> createFramed(r, ct, ttlSeconds, expiresAt, expiresAtMillis, fork));
  }

  /**
   * Runs {@code work} here, or on the worker pool when it parses a JSON body of more than
   * {@link #INLINE_JSON_BYTES_MAX} bytes: a 30 MB body parsed on an event loop stalls every
   * connection of that loop. A parse error then fails the returned future (400 all the same).
   */
  <T> CompletableFuture<T> offLoopIfLarge(int jsonBytes, Supplier<CompletableFuture<T>> work) {
    return offLoopIfLarge(workers, jsonBytes, work);
  }

  static <T> CompletableFuture<T> offLoopIfLarge(ReadPool workers, int jsonBytes, Supplier<CompletableFuture<T>> work) {
    if (jsonBytes <= INLINE_JSON_BYTES_MAX) {
      return work.get();
    }
    return workers.submit(work).thenCompose(f -> f);
  }

  private CompletableFuture<WriteResult> createFramed(CreateRequest r, String ct, long ttlSeconds, String expiresAt,
      long expiresAtMillis, Command.ForkSpec fork) {
    byte[] data = r.body();
    int messages = 0;
    if (ContentTypes.isJson(ct)) {
      JsonMessages.Framed f = JsonMessages.frame(data, true);
      data = f.bytes();
      messages = f.count();
    }
    Command c = guarded(new Command.Create(r.key(), ct, ttlSeconds, expiresAt, expiresAtMillis, r.closed(), data,
        messages, fork), r.incarnation());
    return submit(r.key(), c, data.length).thenApply(o -> {
      releaseIfAsked(o);
      return toResult(o, ct);
    });
  }

  // ---------------------------------------------------------------- append / close

  /**
   * Whether data for {@code key} sent as {@code contentType} is framed as JSON messages: a JSON
   * content type, unless this replica knows the stream is not JSON (then apply answers 409 for
   * the type). A stream this node has not seen yet is framed too; apply rejects unframed data for
   * a JSON stream, so a stale view can never put raw bytes into one.
   */
  boolean frameAsJson(StreamKey key, String contentType) {
    if (!ContentTypes.isJson(contentType)) {
      return false;
    }
    StreamView v = host.replica(key).view(key);
    return v == null || v.json();
  }

  public CompletableFuture<WriteResult> append(AppendRequest r) {
    return offLoopIfLarge(ContentTypes.isJson(r.contentType()) ? r.body().length : 0, () -> appendFramed(r));
  }

  private CompletableFuture<WriteResult> appendFramed(AppendRequest r) {
    byte[] data = r.body();
    int messages = 0;
    if (data.length > 0 && frameAsJson(r.key(), r.contentType())) {
      JsonMessages.Framed f = JsonMessages.frame(data, false);
      data = f.bytes();
      messages = f.count();
    }
    Command.Producer p = r.hasProducer() ? new Command.Producer(r.producerId(), r.producerEpoch(), r.producerSeq()) : null;
    Command c = guarded(new Command.Append(r.key(), r.contentType(), data, messages, r.close(), r.streamSeq(), p,
        r.expectedTail()), r.incarnation());
    return submit(r.key(), c, data.length).thenApply(o -> toResult(o, null));
  }

  // ---------------------------------------------------------------- delete

  /** Deletes the stream; {@code incarnation} -1, or the only incarnation it may delete ({@code Stream-Incarnation}). */
  public CompletableFuture<WriteResult> delete(StreamKey key, long incarnation) {
    StreamView before = host.replica(key).view(key);
    return submit(key, guarded(new Command.Delete(key), incarnation), 0).thenApply(o -> {
      releaseIfAsked(o);
      if (o.code() == Outcome.Code.DELETED && before != null) {
        history.dropSnapshotObject(before.snapshot());
      }
      return toResult(o, null);
    });
  }

  /** Carries a fork's pin back to its source's group; cascades while sources are removed. */
  void releaseIfAsked(Outcome o) {
    if (!o.hasRelease()) {
      return;
    }
    Command.UnpinFork u = new Command.UnpinFork(o.releaseKey(), o.releaseStreamId(), o.releasePinId());
    submit(o.releaseKey(), u, 0).thenAccept(this::releaseIfAsked);
  }

  private CompletableFuture<Outcome> touch(StreamKey key, long streamId) {
    return submit(key, new Command.Touch(key, streamId), 0);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * {@code c} under the {@code Stream-Incarnation} precondition ({@code incarnation} -1: none).
   * Apply checks it, so a stream deleted and re-created after this call is still refused.
   */
  static Command guarded(Command c, long incarnation) {
    return incarnation < 0 ? c : new Command.IfIncarnation(c.key(), incarnation, c);
  }

  CompletableFuture<Outcome> submit(StreamKey key, Command c, int bytes) {
    return submitToGroup(key.groupIndex(host.groupCount()), c, bytes);
  }

  CompletableFuture<Outcome> submitToGroup(int group, Command c, int bytes) {
    if (c instanceof Command.IfIncarnation && host.clusterFeatureLevel() < io.tributary.state.FeatureLevel.LIMITS_AND_INCARNATION) {
      return CompletableFuture.failedFuture(new UnavailableException("Stream-Incarnation needs every node at feature "
          + "level " + io.tributary.state.FeatureLevel.LIMITS_AND_INCARNATION + " (a rolling upgrade is under way, or a "
          + "node has not announced its level yet): retry without the header, or once the upgrade is done", 5));
    }
    // the Stream-Incarnation precondition changes nothing the admission checks look at
    Command inner = c instanceof Command.IfIncarnation g ? g.command() : c;
    boolean data = carriesData(inner);
    if (data || inner instanceof Command.Create || inner instanceof Command.CreateBucket) {
      // deletes, retention and the like go on while the disk is low: they are how space comes back
      io.tributary.common.InsufficientStorageException low = disk.admit(bytes);
      if (low != null) {
        return CompletableFuture.failedFuture(low);
      }
    }
    if (tier != null && data) {
      UnavailableException full = tier.admit();
      if (full != null) {
        return CompletableFuture.failedFuture(full);
      }
    }
    QuotaExceededException over = quotas.admit(inner, bytes);
    if (over != null) {
      return CompletableFuture.failedFuture(over);
    }
    return host.submit(group, c, bytes);
  }

  /**
   * Commands that add stream bytes: refused while the hot tier is full (see {@link io.tributary.group.ColdTier#admit}).
   * {@code c} is the command itself, not its {@code Stream-Incarnation} guard.
   */
  private static boolean carriesData(Command c) {
    return switch (c) {
      case Command.Append a -> a.data().length > 0;
      case Command.AppendBatch b -> b.data().length > 0;
      case Command.Transaction t -> true;
      case Command.Create cr -> cr.data().length > 0;
      case Command.PublishSnapshot p -> true;
      default -> false;
    };
  }

  Supplier<String> pinIds() {
    return pinIds;
  }

  Replication host() {
    return host;
  }

  Clock clock() {
    return clock;
  }

  static WriteResult toResult(Outcome o, String contentType) {
    WriteResult.Status s = WriteResult.Status.valueOf(switch (o.code()) {
      case TOUCHED, PINNED, UNPINNED, BUCKET_CREATED, BUCKET_EXISTS, BUCKET_DELETED -> "EXISTS";
      default -> o.code().name();
    });
    // history outcomes (snapshot, retention) carry the snapshot offset in start, and a floor >= 0
    boolean history = o.retainedFrom() >= 0;
    return new WriteResult(s, o.tail(), o.closed(), contentType, o.producerEpoch(), o.producerSeq(), o.expectedSeq(),
        o.receivedSeq(), o.message(), history ? -1 : o.start(), history ? o.start() : -1, o.digest(), o.retainedFrom(),
        o.ends(), o.streamId());
  }

  /** Watches a stream for any change after {@code offset}; see {@link StreamReads#watch}. */
  public Watch watch(StreamInfo info, long offset, Runnable wake) {
    return reads.watch(info, offset, wake);
  }
}
