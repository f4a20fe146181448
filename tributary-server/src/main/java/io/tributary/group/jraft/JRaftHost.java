package io.tributary.group.jraft;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.closure.ReadIndexClosure;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.State;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.option.ReadOnlyOption;
import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.MarshallerHelper;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import com.google.protobuf.BytesValue;
import io.tributary.common.Clock;
import io.tributary.common.DurableFiles;
import io.tributary.common.Failures;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.config.TributaryConfig;
import io.tributary.group.AppendBatcher;
import io.tributary.group.EngineHost;
import io.tributary.group.GroupMetrics;
import io.tributary.group.GroupReply;
import io.tributary.group.GroupStatus;
import io.tributary.state.ApplyFailure;
import io.tributary.state.ApplyFaults;
import io.tributary.state.Command;
import io.tributary.state.FeatureLevel;
import io.tributary.state.GroupState;
import io.tributary.state.Outcome;
import io.tributary.state.Replica;
import io.tributary.state.ReplicaCore;
import io.tributary.state.ReplicaHalt;
import io.tributary.storage.CorruptRecordException;
import io.tributary.tls.TlsMaterialException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's consensus engine, SOFAJRaft: one RPC server (gRPC, shared by all
 * groups: Raft traffic, snapshot file transfer and forwarded writes) hosting G groups, each a
 * {@link RaftGroupService} with its own {@link JRaftStateMachine} over a {@link ReplicaCore}, log
 * (RocksDB) and {@link AppendBatcher}.
 *
 * <p>Writes: the batcher's entry goes to {@code Node#apply} when this node leads the group (several
 * entries in flight, up to {@code entries-in-flight-max}); otherwise to the leader over
 * {@link Forwarding} (one RPC per entry). Reads on a follower pass {@code Node#readIndex}
 * (ReadIndex: the leader confirms its leadership with a heartbeat round, and SOFAJRaft runs the
 * closure once this replica applied that index). A lagging follower is sent the leader's latest
 * snapshot by SOFAJRaft itself ({@link SnapshotFiles}). Leadership is spread: the
 * peer at position {@code g mod N} is preferred; a leader that is not it hands the group over with
 * {@code Node#transferLeadershipTo} once the preferred peer answers heartbeats.
 *
 * <p>Scrub, segment repair and reclaim run in {@link io.tributary.group.GroupUpkeep}; the cold
 * tier asks for snapshots through {@link #requestSnapshot}. Groups start in parallel.
 * {@code --rejoin true} leaves and re-joins groups as a new member ({@link Rejoin}); a closing node
 * first hands its groups' leadership to a peer ({@link LeadershipHandOff}).
 *
 * <p>The RPC server and clients come from {@link PeerRpcFactory} (SOFAJRaft's SPI), configured by
 * {@link #start} with this node's {@link PeerTransport}: the server binds {@code --peer-host}, speaks
 * mutual TLS with {@code --peer-tls-*}, and a peer is dialled through {@code --peer-routes} while
 * its name stays its {@code --peers} address.
 *
 * <p>Threads: built and started on the main thread; {@link #submit} and the queries from any thread.
 * SOFAJRaft runs its own threads (a FSM caller per group applies entries; RPC, log and timer pools).
 * Every future this class hands out completes on {@code tributary-jraft-completions}, never on a
 * SOFAJRaft thread. {@code tributary-jraft-timers} runs the write-timeout sweep, snapshot requests,
 * the feature-level announcement and the leadership balance.
 */
public final class JRaftHost implements EngineHost {
  private static final Logger LOG = LoggerFactory.getLogger(JRaftHost.class);
  /** Between two leadership hand-overs of one group to its preferred peer. */
  private static final long BALANCE_INTERVAL_MILLIS = 10_000;
  /** Pause before a forwarded entry is resent after the peer said it does not lead. */
  private static final long FORWARD_RETRY_MILLIS = 50;
  /** How long {@link #requestSnapshot} waits for SOFAJRaft to save a requested snapshot. */
  private static final long SNAPSHOT_WAIT_SECONDS = 30;

  private final TributaryConfig config;
  private final Clock clock;
  private final GroupMetrics metrics = new GroupMetrics();
  private final PeerId self;
  /** Where this node's RPC server listens: its peer address, or on a single node any free port if given 0. */
  private final Endpoint bind;
  private final List<PeerId> peers = new ArrayList<>();
  /** "host:port" of each voter's Raft endpoint → its node id. */
  private final Map<String, String> idsByEndpoint = new HashMap<>();
  private final List<JRaftStateMachine> machines = new ArrayList<>();
  private final List<AppendBatcher> batchers = new ArrayList<>();
  /** Per group; null until the group started (in parallel at start, or later by {@link Rejoin}). */
  private final AtomicReferenceArray<RaftGroupService> services;
  /** Per group; null until the group started. SOFAJRaft threads and queries read it meanwhile. */
  private final AtomicReferenceArray<Node> nodes;
  /** Set by start() when {@code --rejoin} finds groups this data directory has not re-joined; else null. */
  private volatile Rejoin rejoin;
  private final AtomicBoolean[] snapshotPending;
  /** Per group: this leader applied a forwarded entry whose commit its followers may not have heard of. */
  private final AtomicBoolean[] unannounced;
  private final long[] lastBalanceMillis;
  private final AtomicBoolean announcing = new AtomicBoolean();
  /** Scrub, segment repair and reclaim of the local replicas; started last in {@link #start}. */
  private io.tributary.group.GroupUpkeep upkeep;
  private RpcServer rpcServer;
  private RpcClient rpcClient;
  private final ExecutorService completions = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "tributary-jraft-completions");
    t.setDaemon(true);
    return t;
  });
  /**
   * Writes the snapshots the groups' FSM callers prepared (segment fsyncs, record indexes, the
   * metadata file), so a snapshot does not stall applying. At most one save per group is in
   * flight (SOFAJRaft takes no second while one is saving), so its queue holds at most one task
   * per group.
   */
  private final ExecutorService snapshotWriter = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "tributary-snapshot-writer");
    t.setDaemon(true);
    return t;
  });
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "tributary-jraft-timers");
    t.setDaemon(true);
    return t;
  });

  public JRaftHost(TributaryConfig config, Clock clock) {
    this(config, clock, ReplicaHalt.process());
  }

  /** @param halt what the node does once a replica could not apply a committed entry */
  public JRaftHost(TributaryConfig config, Clock clock, ReplicaHalt halt) {
    this.config = config;
    this.clock = clock;
    for (TributaryConfig.Peer p : config.peers()) {
      PeerId id = new PeerId(config.peers().size() == 1 ? singleNodeIdentity(config, p) : new Endpoint(p.host(), p.peerPort()), 0);
      peers.add(id);
      idsByEndpoint.put(id.getEndpoint().toString(), p.id());
    }
    this.self = peers.get(indexOf(config.nodeId()));
    TributaryConfig.Peer own = config.peers().get(indexOf(config.nodeId()));
    this.bind = config.peers().size() == 1 ? new Endpoint(own.host(), concretePort(own.host(), own.peerPort()))
        : self.getEndpoint();
    ApplyFaults faults = ApplyFaults.fromSystemProperties();
    SnapshotFiles snapshotFiles = new SnapshotFiles(config.nodeId());
    this.services = new AtomicReferenceArray<>(config.groups());
    this.nodes = new AtomicReferenceArray<>(config.groups());
    this.snapshotPending = new AtomicBoolean[config.groups()];
    this.unannounced = new AtomicBoolean[config.groups()];
    this.lastBalanceMillis = new long[config.groups()];
    for (int g = 0; g < config.groups(); g++) {
      final int gi = g;
      snapshotPending[g] = new AtomicBoolean();
      unannounced[g] = new AtomicBoolean();
      ReplicaCore core = new ReplicaCore(g, groupDir(config, g).resolve("segments"), config.segmentBytesMax(),
          config.tailCacheBytes(), config.readCacheBytes() / config.groups(), halt, faults);
      machines.add(new JRaftStateMachine(core, snapshotFiles, snapshotWriter, index -> afterApply(gi, index)));
      batchers.add(new AppendBatcher(g, clock, metrics, entry -> submitEntry(gi, entry), config.batchBytesMax(),
          config.batchAppendsMin(), config.batchAppendsMax(), config.entriesInFlightMax(), config.pendingAppendsMax(),
          config.pendingBytesMax(), config.writeTimeoutMillis(), limits(config), this::clusterFeatureLevel));
      batchers.get(g).whenIdle(() -> announceIfUnannounced(gi));
    }
  }

  /**
   * A single node's peer id as SOFAJRaft recorded it in the log's configuration at its first start,
   * read back from {@code jraft/single-node-identity} on later starts. SOFAJRaft names a voter by
   * its address, so a single node whose peer port changed between starts (port 0 picks a new one
   * each time; an operator may change it) would find itself outside its own configuration and
   * never elect itself. Nobody dials a single node, so the identity need not be where it listens.
   */
  private static Endpoint singleNodeIdentity(TributaryConfig config, TributaryConfig.Peer p) {
    Path file = config.dataDir().resolve("jraft").resolve("single-node-identity");
    try {
      if (java.nio.file.Files.exists(file)) {
        String[] hp = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII).trim().split(":");
        return new Endpoint(hp[0], Integer.parseInt(hp[1]));
      }
      Endpoint e = new Endpoint(p.host(), concretePort(p.host(), p.peerPort()));
      DurableFiles.createDirectories(file.getParent());
      DurableFiles.writeAtomically(file, e.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return e;
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("unreadable single-node identity " + file + ": " + e, e);
    }
  }

  /**
   * A single node may be given peer port 0 (tests, embedded use); SOFAJRaft needs a concrete one
   * to start its RPC server, so a free port is taken here. Nobody dials it; in the instant between
   * this probe and SOFAJRaft's bind another process could take it, and the start then fails loudly.
   */
  private static int concretePort(String host, int port) {
    if (port != 0) {
      return port;
    }
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("no free port for the SOFAJRaft RPC server on " + host, e);
    }
  }

  /** The bounds apply enforces, as every entry this node encodes carries them. */
  private static io.tributary.state.Limits limits(TributaryConfig config) {
    return new io.tributary.state.Limits(config.bounds().producersPerStreamMax(),
        config.bounds().producerIdleExpiryMillis(), config.bounds().bucketStreamsMax(), config.bounds().bucketsMax());
  }

  private int indexOf(String nodeId) {
    for (int i = 0; i < config.peers().size(); i++) {
      if (config.peers().get(i).id().equals(nodeId)) {
        return i;
      }
    }
    throw new IllegalArgumentException("node " + nodeId + " is not among the peers " + config.peers());
  }

  private static Path groupDir(TributaryConfig config, int g) {
    return config.dataDir().resolve("groups").resolve(String.format("g%03d", g));
  }

  @Override
  public void start() throws IOException {
    // before any SOFAJRaft server or client exists: they read it when they are created (PeerRpcFactory)
    PeerTransport transport = transport(config);
    PeerRpcFactory.configure(transport);
    registerForwardingMessages();
    RocksDbLibrary.load();
    rpcServer = RaftRpcServerFactory.createRaftRpcServer(bind);
    rpcServer.registerProcessor(new Forwarding.Processor(this::acceptForwarded));
    // listening before the groups start: a peer's vote requests for a group not started here yet
    // get an error at once, and this node's first elections reach peers that are up (started
    // after its groups, the server left every early election of a slow start to time out,
    // measured: terms 10-14 by the time the last of 8 groups started on a loaded box)
    if (!rpcServer.init(null)) {
      throw new IOException("SOFAJRaft RPC server did not start on " + bind);
    }
    RocksDbLogTuning.registerOnce(config.logMemtableBytes());
    Configuration conf = new Configuration(peers);
    List<Integer> lost = config.rejoin() && peers.size() > 1
        ? Rejoin.groupsToRejoin(this::raftDir, config.groups()) : List.of();
    startGroups(conf, lost);
    rpcClient = RpcFactoryHelper.rpcFactory().createRpcClient();
    rpcClient.init(new RpcOptions());
    long sweepMillis = Math.max(10, Math.min(250, config.writeTimeoutMillis() / 10));
    timers.scheduleWithFixedDelay(() -> {
      long now = clock.nanoTime();
      for (AppendBatcher b : batchers) {
        b.expire(now);
      }
    }, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    timers.scheduleWithFixedDelay(this::announceIfNeeded, 0, 200, TimeUnit.MILLISECONDS);
    if (peers.size() > 1) {
      timers.scheduleWithFixedDelay(this::balanceLeadership, 2, 2, TimeUnit.SECONDS);
    }
    if (!lost.isEmpty()) {
      Rejoin r = new Rejoin(lost, conf, self, this::raftDir, g -> startGroup(g, new Configuration()),
          config.electionTimeoutMaxMillis());
      rejoin = r;
      r.start();
    }
    upkeep = new io.tributary.group.GroupUpkeep(config, this);
    upkeep.start();
    LOG.info("SOFAJRaft node {} ({}) hosts {} groups on one gRPC server ({})", config.nodeId(), self, nodes.length(),
        transport.describe());
  }

  /**
   * The node's peer transport. gRPC's inbound limit (4 MiB by default) must take the largest
   * entry, one whole request body, forwarded or replicated: twice that, for the envelope.
   */
  private static PeerTransport transport(TributaryConfig config) throws IOException {
    long entryMax = Math.max(config.batchBytesMax(), config.bodyBytesMax()) + 64 * 1024;
    try {
      return PeerTransport.of(config, (int) Math.min(Integer.MAX_VALUE, 2 * entryMax));
    } catch (TlsMaterialException e) {
      throw new IOException("peer TLS: " + e.getMessage(), e);
    }
  }

  private Path raftDir(int g) {
    return config.dataDir().resolve("jraft").resolve(String.format("g%03d", g));
  }

  /**
   * Starts every group but {@code later}, in parallel: each start opens the group's RocksDB log
   * (after a crash, RocksDB replays its write-ahead log) and loads its snapshot, which took 1-2 s
   * per group one after another (measured: 8 groups, 256 MiB stored, 14.4 s from process start to
   * listening; RestartTimeTest). SOFAJRaft's node start is safe to run concurrently (its shared
   * timers and node registry are synchronized).
   */
  private void startGroups(Configuration conf, List<Integer> later) throws IOException {
    long t0 = System.nanoTime();
    List<Future<?>> started = new ArrayList<>();
    // twice the cores: a start waits on fsyncs as much as it computes. One at a time on a single
    // node: SOFAJRaft's init elects a lone voter itself and releases its lock half way, and the
    // election timer firing in that window fails the start ("Illegal state: STATE_FOLLOWER" in
    // becomeLeader, seen with 8 groups starting at once on a loaded box); the longer inits of a
    // parallel start make that likelier.
    int threads = peers.size() == 1 ? 1 : Math.min(config.groups(), 2 * Runtime.getRuntime().availableProcessors());
    try (ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "tributary-jraft-start"))) {
      for (int g = 0; g < config.groups(); g++) {
        if (!later.contains(g)) {
          int gi = g;
          started.add(pool.submit(() -> {
            startGroup(gi, conf);
            return null;
          }));
        }
      }
      for (Future<?> f : started) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw e.getCause() instanceof IOException io ? io : new IOException("starting a group failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while starting the groups", e);
        }
      }
    }
    LOG.info("started {} groups in {} ms", started.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  /**
   * Starts group {@code g}; {@code initial} is its configuration only while its log is empty
   * (SOFAJRaft reads the configuration from the log or snapshot otherwise). Any thread.
   */
  private void startGroup(int g, Configuration initial) throws IOException {
    long t0 = System.nanoTime();
    Path dir = raftDir(g);
    // SOFAJRaft and RocksDB fsync what they write inside these, but never the group directory
    // that holds them: created here durably, or a power loss can take the whole log's name away
    // (found by PowerLossTest)
    for (String sub : List.of("log", "meta", "snapshot")) {
      DurableFiles.createDirectories(dir.resolve(sub));
    }
    SnapshotFiles.fallBackIfDamaged(g, dir);
    NodeOptions o = nodeOptions(dir, initial, machines.get(g));
    if (!hasSnapshot(dir.resolve("snapshot"))) {
      // SOFAJRaft calls onSnapshotLoad only when there is a snapshot; without one the whole log
      // is re-applied onto empty state, so the segments start empty too
      machines.get(g).core().load(null, "", -1, 0);
    }
    RaftGroupService svc = new RaftGroupService(groupId(g), self.copy(), o, rpcServer, true);
    services.set(g, svc);
    Node node = svc.start(false);
    if (node == null) {
      throw new IOException("SOFAJRaft group " + g + " did not start (see its log above)");
    }
    nodes.set(g, node);
    LOG.info("group {}: started in {} ms (log up to {}, snapshot at {})", g,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), node.getLastLogIndex(),
        machines.get(g).lastSnapshotIndex());
  }

  /** True when SOFAJRaft's snapshot directory holds a snapshot ({@code snapshot_<index>}), which it loads at start. */
  private static boolean hasSnapshot(Path snapshotDir) throws IOException {
    if (!java.nio.file.Files.isDirectory(snapshotDir)) {
      return false;
    }
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(snapshotDir)) {
      return s.anyMatch(p -> p.getFileName().toString().startsWith("snapshot_"));
    }
  }

  /** gRPC needs to know the forwarding envelope's request and response types up front. */
  private static void registerForwardingMessages() {
    RpcFactoryHelper.rpcFactory().registerProtobufSerializer(BytesValue.class.getName(), BytesValue.getDefaultInstance());
    MarshallerHelper.registerRespInstance(BytesValue.class.getName(), BytesValue.getDefaultInstance());
  }

  private NodeOptions nodeOptions(Path dir, Configuration conf, JRaftStateMachine fsm) {
    NodeOptions o = new NodeOptions();
    // election timeout in [min, max): SOFAJRaft adds a random delay up to maxElectionDelayMs
    o.setElectionTimeoutMs((int) config.electionTimeoutMinMillis());
    RaftOptions r = new RaftOptions();
    r.setMaxElectionDelayMs((int) (config.electionTimeoutMaxMillis() - config.electionTimeoutMinMillis()));
    r.setSync(true); // fsync the log before an entry counts as flushed (the default; said here because it matters)
    r.setSyncMeta(true); // term and vote must survive a power loss as well
    o.setRaftOptions(r);
    o.setInitialConf(conf.copy());
    o.setFsm(fsm);
    o.setLogUri(dir.resolve("log").toString());
    o.setRaftMetaUri(dir.resolve("meta").toString());
    o.setSnapshotUri(dir.resolve("snapshot").toString());
    // snapshots by entry count (afterApply) and on request (cold tier, reclaim), not by
    // SOFAJRaft's timer. No snapshotLogIndexMargin: it is not log retention but a threshold below
    // which SOFAJRaft cancels a snapshot, and a requested snapshot must be taken whenever anything
    // was applied since the last one
    o.setSnapshotIntervalSecs(0);
    // G groups per node: share timers instead of G sets of timer threads
    o.setSharedTimerPool(true);
    o.setSharedElectionTimer(true);
    o.setSharedVoteTimer(true);
    o.setSharedStepDownTimer(true);
    o.setSharedSnapshotTimer(true);
    o.setEnableMetrics(false);
    return o;
  }

  static String groupId(int g) {
    return "tributary-g" + g;
  }

  /** After each applied batch (FSM caller): asks for a snapshot every {@code snapshot-interval-entries}. */
  private void afterApply(int g, long index) {
    Node node = nodes.get(g);
    if (node != null && index - machines.get(g).lastSnapshotIndex() >= config.snapshotIntervalEntries()
        && snapshotPending[g].compareAndSet(false, true)) {
      timers.execute(() -> node.snapshot(st -> {
        snapshotPending[g].set(false);
        if (!st.isOk()) {
          LOG.warn("group {}: snapshot failed: {}", g, st);
        }
      }));
    }
  }

  /**
   * Takes a snapshot of group {@code g} now and waits for it (blocks: never on an event loop or a
   * SOFAJRaft thread). Nothing applied since the last snapshot: returns at once, nothing taken.
   */
  @Override
  public void requestSnapshot(int g) throws IOException {
    Node node = nodes.get(g);
    if (node == null) {
      throw new IOException("group " + g + " has not started on this node yet");
    }
    CompletableFuture<Status> done = new CompletableFuture<>();
    node.snapshot(done::complete);
    Status st;
    try {
      st = done.get(SNAPSHOT_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("group " + g + ": interrupted while waiting for a snapshot", e);
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      throw new IOException("group " + g + ": snapshot not taken within " + SNAPSHOT_WAIT_SECONDS + " s", e);
    }
    if (!st.isOk()) {
      throw new IOException("group " + g + ": snapshot request failed: " + st);
    }
  }

  // ---- writes ----

  @Override
  public CompletableFuture<Outcome> submit(int group, Command command, int bytes) {
    // the batcher fails it with a 503 after write-timeout-ms (start() sweeps every batcher)
    return batchers.get(group).submit(command, bytes + 64);
  }

  /** One encoded entry from the group's batcher: on the local leader, else forwarded to the leader. */
  private CompletableFuture<GroupReply> submitEntry(int g, byte[] entry) {
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.writeTimeoutMillis());
    if (leads(g)) {
      return applyOrResend(g, entry, deadlineNanos);
    }
    return forward(g, entry, deadlineNanos);
  }

  /**
   * Applies the entry on this leader; if the leader refused it before logging it (transferring
   * leadership, apply queue full, no longer leading) nothing can commit, so it goes to whichever
   * node leads next, as a forward after "not leader" does.
   */
  private CompletableFuture<GroupReply> applyOrResend(int g, byte[] entry, long deadlineNanos) {
    return applyLocal(g, entry).handle((a, e) -> {
      Throwable cause = Failures.cause(e);
      if (cause == null) {
        return CompletableFuture.completedFuture(new GroupReply(a.outcomes(), CompletableFuture.<Void>completedFuture(null)));
      }
      if (cause instanceof SubmitClosure.NotAppended) {
        return retryForward(g, entry, deadlineNanos, cause.getMessage());
      }
      return CompletableFuture.<GroupReply>failedFuture(cause);
    }).thenCompose(f -> f);
  }

  private CompletableFuture<SubmitClosure.Applied> applyLocal(int g, byte[] entry) {
    SubmitClosure done = new SubmitClosure(g, completions);
    nodes.get(g).apply(new Task(ByteBuffer.wrap(entry), done));
    return done.result();
  }

  /** The leader's side of a forwarded entry (RPC executor): applies it if this node leads the group. */
  private CompletableFuture<Forwarding.Answer> acceptForwarded(int g, byte[] entry) {
    if (g < 0 || g >= nodes.length()) {
      return CompletableFuture.completedFuture(new Forwarding.Answer.Failed("no group " + g + " here"));
    }
    if (!leads(g)) {
      return CompletableFuture.completedFuture(new Forwarding.Answer.NotLeader(leaderName(g)));
    }
    return applyLocal(g, entry).handle((a, e) -> {
      if (e == null) {
        return new Forwarding.Answer.Applied(nudgeCommit(g, a.index()), a.outcomes());
      }
      Throwable cause = Failures.cause(e);
      // refused before it was logged (e.g. while handing leadership over): the follower resends
      return cause instanceof SubmitClosure.NotAppended
          ? new Forwarding.Answer.NotLeader(leaderName(g))
          : new Forwarding.Answer.Failed(cause.getMessage());
    });
  }

  /**
   * Makes the followers learn that {@code index} committed soon rather than at the next heartbeat
   * (the forwarding follower answers its client only once it applied the entry, and SOFAJRaft
   * sends a new commit index only with the next append or heartbeat). Under load the leader's next
   * entry carries it anyway; only when the group's batcher has nothing queued or in flight, now or
   * once its entries in flight are answered, does a no-op entry go out to carry it. (A no-op per
   * forwarded entry was most of the one-command entries of a loaded cluster.) Returns {@code index}.
   */
  private long nudgeCommit(int g, long index) {
    unannounced[g].set(true);
    if (batchers.get(g).idle()) {
      announceIfUnannounced(g);
    }
    return index;
  }

  /** Submits the no-op that carries the commit index, if one is owed and this node still leads. */
  private void announceIfUnannounced(int g) {
    if (leads(g) && unannounced[g].getAndSet(false)) {
      batchers.get(g).submit(new Command.Nop(new StreamKey("", "")), 64);
    }
  }

  /**
   * Sends a whole entry to the group's leader; resends after "not leader" (nothing was submitted)
   * until {@code deadlineNanos}. A lost call leaves the outcome unknown: 503, never a resend.
   */
  private CompletableFuture<GroupReply> forward(int g, byte[] entry, long deadlineNanos) {
    Node node = nodes.get(g);
    PeerId leader = node == null ? null : node.getLeaderId();
    if (leader == null || leader.isEmpty() || leader.equals(self)) {
      // no leader known yet, or this node was just elected and is not ready: wait and look again
      return retryForward(g, entry, deadlineNanos, "no leader known");
    }
    CompletableFuture<Forwarding.Answer> sent = new CompletableFuture<>();
    long timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    try {
      rpcClient.invokeAsync(leader.getEndpoint(), Forwarding.request(g, entry), new com.alipay.sofa.jraft.rpc.InvokeCallback() {
        @Override
        public void complete(Object result, Throwable err) {
          if (err != null) {
            sent.completeExceptionally(err);
          } else {
            sent.complete(Forwarding.parseResponse((BytesValue) result));
          }
        }

        @Override
        public java.util.concurrent.Executor executor() {
          return completions;
        }
      }, timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(unknown(g, "interrupted"));
    } catch (com.alipay.sofa.jraft.error.RemotingException | RuntimeException e) {
      sent.completeExceptionally(e);
    }
    ReplicaCore core = machines.get(g).core();
    return sent.handle((a, e) -> {
      if (e != null) {
        return CompletableFuture.<GroupReply>failedFuture(unknown(g, "forwarded to " + leaderName(g) + ": " + e));
      }
      return switch (a) {
        case Forwarding.Answer.Applied ap ->
            CompletableFuture.completedFuture(new GroupReply(ap.outcomes(), core.awaitApplied(ap.index())));
        case Forwarding.Answer.NotLeader nl -> retryForward(g, entry, deadlineNanos, "not leader (hint " + nl.leaderHint() + ")");
        case Forwarding.Answer.Failed f -> CompletableFuture.<GroupReply>failedFuture(unknown(g, f.reason()));
      };
    }).thenCompose(f -> f);
  }

  private CompletableFuture<GroupReply> retryForward(int g, byte[] entry, long deadlineNanos, String why) {
    if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FORWARD_RETRY_MILLIS) >= deadlineNanos) {
      // nothing was submitted anywhere, so this 503 is a safe retry for the client
      return CompletableFuture.failedFuture(new UnavailableException("group " + g + ": no leader took the write within "
          + config.writeTimeoutMillis() + " ms (" + why + ")", 1, io.tributary.protocol.Headers.UNAVAILABLE_NO_LEADER));
    }
    CompletableFuture<GroupReply> out = new CompletableFuture<>();
    timers.schedule(() -> {
      CompletableFuture<GroupReply> next = leads(g) ? applyOrResend(g, entry, deadlineNanos) : forward(g, entry, deadlineNanos);
      next.whenComplete((v, e) -> {
        if (e != null) {
          out.completeExceptionally(Failures.cause(e));
        } else {
          out.complete(v);
        }
      });
    }, FORWARD_RETRY_MILLIS, TimeUnit.MILLISECONDS);
    return out;
  }

  private static UnavailableException unknown(int g, String why) {
    return new UnavailableException("group " + g + ": forwarded write failed, outcome unknown (retry with the same "
        + "producer headers): " + why, 1);
  }

  // ---- reads ----

  /**
   * On a follower: ReadIndex through the leader, lease based (SOFAJRaft runs the closure once this
   * replica applied the confirmed index). 503 when not confirmed within {@code write-timeout-ms}.
   */
  @Override
  public CompletableFuture<Void> readBarrier(int g) {
    if (leads(g)) {
      return CompletableFuture.completedFuture(null);
    }
    Node node = nodes.get(g);
    if (node == null) {
      return CompletableFuture.failedFuture(new UnavailableException("group " + g + " has not started on this node yet"
          + (rejoin != null ? " (re-joining after data loss)" : ""), 1));
    }
    CompletableFuture<Void> out = new CompletableFuture<>();
    readIndex(g, out, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.writeTimeoutMillis()));
    long deadlineMillis = config.writeTimeoutMillis();
    return out.orTimeout(deadlineMillis, TimeUnit.MILLISECONDS).exceptionallyCompose(t -> {
      Throwable cause = Failures.cause(t);
      if (cause instanceof TimeoutException) {
        cause = new UnavailableException("group " + g + ": the leader's commit index was not confirmed within "
            + deadlineMillis + " ms (no reachable leader, or this replica is not catching up)", 1);
      }
      return CompletableFuture.failedFuture(cause);
    });
  }

  /**
   * One ReadIndex attempt; a refusal (no leader known yet, an election under way, the leader
   * stepped down) is asked again after {@link #FORWARD_RETRY_MILLIS} until {@code deadlineNanos}:
   * a read waits for a leader the way a forwarded write does, and answers 503 only when none
   * confirmed the index in time. Lease based: within its lease the leader answers without a
   * heartbeat round (ReadOnlySafe cost a round per barrier and timed out conformance property
   * tests through followers on the loaded box).
   */
  private void readIndex(int g, CompletableFuture<Void> out, long deadlineNanos) {
    Node node = nodes.get(g);
    if (node == null) {
      out.completeExceptionally(new UnavailableException("group " + g + " has not started on this node yet", 1));
      return;
    }
    node.readIndex(ReadOnlyOption.ReadOnlyLeaseBased, new byte[0], new ReadIndexClosure() {
      @Override
      public void run(Status status, long index, byte[] reqCtx) {
        completions.execute(() -> {
          if (status.isOk()) {
            out.complete(null);
          } else if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FORWARD_RETRY_MILLIS) < deadlineNanos
              && !out.isDone()) {
            try {
              timers.schedule(() -> readIndex(g, out, deadlineNanos), FORWARD_RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
              out.completeExceptionally(new UnavailableException("group " + g + ": node is stopping", 1));
            }
          } else {
            out.completeExceptionally(new UnavailableException("group " + g + ": read index failed: " + status, 1));
          }
        });
      }
    });
  }

  // ---- leadership and status ----

  @Override
  public boolean leads(int g) {
    Node node = nodes.get(g);
    return node != null && machines.get(g).leaderReady() && node.isLeader(false);
  }

  /** The node id of the group's leader as this node knows it, or "null". */
  private String leaderName(int g) {
    Node node = nodes.get(g);
    PeerId leader = node == null ? null : node.getLeaderId();
    if (leader == null || leader.isEmpty()) {
      return "null";
    }
    return idsByEndpoint.getOrDefault(leader.getEndpoint().toString(), leader.toString());
  }

  /**
   * Hands each group this node leads to its preferred peer ({@code g mod N}) when that peer answers
   * heartbeats, at most once per {@link #BALANCE_INTERVAL_MILLIS} per group. SOFAJRaft waits for the
   * target to catch up before it tells it to start an election; entries it refuses meanwhile go
   * to the next leader ({@link #applyOrResend}).
   */
  private void balanceLeadership() {
    long now = TimeUnit.NANOSECONDS.toMillis(clock.nanoTime());
    for (int g = 0; g < nodes.length(); g++) {
      PeerId preferred = peers.get(g % peers.size());
      if (preferred.equals(self) || !leads(g) || now - lastBalanceMillis[g] < BALANCE_INTERVAL_MILLIS) {
        continue;
      }
      Node node = nodes.get(g);
      if (node == null || !node.listAlivePeers().contains(preferred)) {
        continue;
      }
      lastBalanceMillis[g] = now;
      Status st = node.transferLeadershipTo(preferred);
      LOG.info("group {}: handing leadership to its preferred peer {}: {}", g, preferred, st);
    }
  }

  @Override
  public GroupStatus status(int g) {
    Node node = nodes.get(g);
    if (node == null) {
      return new GroupStatus(g, rejoin != null ? "REJOINING" : "STARTING", "null", 0, 0, 0, batchers.get(g).queued());
    }
    State s = node.getNodeState();
    String role = switch (s) {
      case STATE_LEADER, STATE_TRANSFERRING -> "LEADER";
      case STATE_FOLLOWER -> "FOLLOWER";
      case STATE_CANDIDATE -> "CANDIDATE";
      default -> s.name();
    };
    return new GroupStatus(g, role, leaderName(g), machines.get(g).term(), node.getLastCommittedIndex(),
        node.getLastAppliedLogIndex(), batchers.get(g).queued());
  }

  @Override
  public List<String> notReadyReasons() {
    List<String> why = new ArrayList<>();
    int own = FeatureLevel.supported();
    if (announcedFeatureLevel() != own) {
      why.add("feature level " + own + " of this node not yet recorded by the registry group");
    }
    Rejoin r = rejoin;
    for (int g = 0; g < nodes.length(); g++) {
      JRaftStateMachine m = machines.get(g);
      Node node = nodes.get(g);
      ApplyFailure f = m.core().failure();
      if (f != null) {
        why.add(f.describe());
      } else if (m.engineError() != null) {
        why.add(m.engineError());
      } else if (r != null && !r.done(g)) {
        why.add("group " + g + ": re-joining as a new member after data loss (" + r.progress(g) + ")");
      } else if (node == null) {
        why.add("group " + g + " has not started");
      } else if (leaderName(g).equals("null")) {
        why.add("group " + g + " has no leader");
      } else if (node.isLeader(false) && !m.leaderReady()) {
        why.add("group " + g + ": this node is its new leader and not ready yet");
      }
    }
    return why;
  }

  // ---- feature level ----

  @Override
  public int clusterFeatureLevel() {
    int own = FeatureLevel.supported();
    if (config.peers().size() <= 1) {
      return own;
    }
    GroupState registry = machines.get(REGISTRY_GROUP).core().state();
    Map<String, Integer> levels = registry == null ? Map.of() : registry.features();
    int level = own;
    for (TributaryConfig.Peer p : config.peers()) {
      level = Math.min(level, levels.getOrDefault(p.id(), FeatureLevel.BASE));
    }
    return level;
  }

  private int announcedFeatureLevel() {
    GroupState registry = machines.get(REGISTRY_GROUP).core().state();
    return registry == null ? 0 : registry.features().getOrDefault(config.nodeId(), 0);
  }

  /** One announcement at a time, only while the registry's record differs from this build's level. */
  private void announceIfNeeded() {
    int own = FeatureLevel.supported();
    if (announcedFeatureLevel() == own || leaderName(REGISTRY_GROUP).equals("null")
        || !announcing.compareAndSet(false, true)) {
      return;
    }
    Command c = new Command.AnnounceFeatures(new StreamKey("", ""), config.nodeId(), own);
    submit(REGISTRY_GROUP, c, 0).whenComplete((v, t) -> {
      announcing.set(false);
      if (t == null) {
        LOG.info("announced feature level {}; the cluster is at level {}", own, clusterFeatureLevel());
      } else {
        LOG.debug("feature level announcement not acknowledged yet ({}); retrying", t.toString());
      }
    });
  }

  // ---- the rest of Replication ----

  @Override
  public int groupCount() {
    return machines.size();
  }

  @Override
  public Replica replica(int group) {
    return machines.get(group).core();
  }

  @Override
  public boolean reportDamage(int group, CorruptRecordException e) {
    if (upkeep == null) { // not started yet
      metrics.damagedRead(group);
      return false;
    }
    return upkeep.reportDamage(group, e);
  }

  @Override
  public GroupMetrics metrics() {
    return metrics;
  }

  @Override
  public AppendBatcher batcher(int g) {
    return batchers.get(g);
  }

  @Override
  public void close() throws IOException {
    if (upkeep != null) {
      upkeep.close();
    }
    timers.shutdownNow(); // no leadership balance hands a group back meanwhile
    List<Node> started = new ArrayList<>();
    try {
      Rejoin r = rejoin;
      if (r != null) {
        r.stop();
      }
      for (int g = 0; g < nodes.length(); g++) {
        started.add(nodes.get(g));
      }
      // a transfer that takes longer than an election timeout is no better than none
      LeadershipHandOff.run(started, self, config.electionTimeoutMaxMillis(), clock);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (int g = 0; g < services.length(); g++) {
      RaftGroupService s = services.get(g);
      if (s != null) {
        s.shutdown();
      }
    }
    for (Node n : started) {
      if (n == null) {
        continue;
      }
      try {
        n.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (rpcClient != null) {
      rpcClient.shutdown();
    }
    if (rpcServer != null) {
      rpcServer.shutdown();
    }
    snapshotWriter.shutdown(); // the joined nodes waited for their saves to finish
    for (JRaftStateMachine m : machines) {
      m.core().closeStore();
    }
    completions.shutdown();
  }
}
