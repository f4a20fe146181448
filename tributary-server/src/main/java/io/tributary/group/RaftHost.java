package io.tributary.group;

import io.tributary.common.Clock;
import io.tributary.common.DurableFiles;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.config.TributaryConfig;
import io.tributary.state.StreamStateMachine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one Apache Ratis server hosting G groups (divisions), each with its own
 * {@link StreamStateMachine} and {@link AppendBatcher}. Commands for a group are submitted on the
 * local leader with {@code submitClientRequestAsync} (no client RPC on the hot path).
 *
 * <p>Threads: built and started on the main thread; {@link #submit} from any thread. Ratis runs
 * its own threads per division (log worker, state-machine updater, heartbeats).
 */
public final class RaftHost implements EngineHost {
  private static final Logger LOG = LoggerFactory.getLogger(RaftHost.class);

  private final TributaryConfig config;
  /** Stamps entries (wall clock) and times the batchers' queues (elapsed time). */
  private final Clock clock;
  private final RaftServer server;
  private final List<GroupHandle> groups = new ArrayList<>();
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final RaftProperties properties;
  /** {@link #properties} with the forwarders' attempt timeout ({@link #forwardAttemptTimeout}). */
  private final RaftProperties forwarderProperties;
  private final RetryPolicy forwarderRetries;
  private final Map<Integer, RaftClient> forwarders = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<ReadBarrier> barriers = new ArrayList<>();
  private final GroupMetrics metrics = new GroupMetrics();
  private Scrub scrub;
  /** Whole-segment reclamation; null on a node that tiers (the cold tier drops segments) or with reclaim off. */
  private Reclaim reclaim;
  /** Repairs damaged records from a peer; null on a single node (no peer to repair from). */
  private final SegmentRepair repair;
  /**
   * Every future this class hands out completes on this thread, never on a Ratis thread. Ratis
   * completes a client reply while it holds the client's sliding-window lock; a callback that then
   * waits for a lock of ours ({@link AppendBatcher}, {@link ReadBarrier}) while the holder of that
   * lock calls into the same Ratis client deadlocks both threads — an event loop included.
   * One thread keeps completions in order; the work per completion is small (decode outcomes,
   * hand results to event loops, submit the next entry without blocking).
   */
  private final ExecutorService completions = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "tributary-raft-completions");
    t.setDaemon(true);
    return t;
  });

  /**
   * Fails writes not answered within write-timeout-ms: one sweep over every batcher each tenth of
   * the timeout (10..250 ms), so a write's 503 comes at most that much late.
   */
  private final java.util.concurrent.ScheduledExecutorService writeTimeouts =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tributary-write-timeouts");
        t.setDaemon(true);
        return t;
      });

  /** One group: its Ratis id, state machine and batcher. */
  public record GroupHandle(int index, RaftGroup raftGroup, StreamStateMachine stateMachine, AppendBatcher batcher) {}

  public RaftHost(TributaryConfig config, Clock clock) throws IOException {
    this(config, clock, io.tributary.state.ReplicaHalt.process());
  }

  /** @param halt what the node does once a replica could not apply a committed entry (see {@link io.tributary.state.ReplicaHalt}) */
  public RaftHost(TributaryConfig config, Clock clock, io.tributary.state.ReplicaHalt halt) throws IOException {
    this.config = config;
    this.clock = clock;
    io.tributary.state.ApplyFaults faults = io.tributary.state.ApplyFaults.fromSystemProperties();
    Path raftDir = config.dataDir().resolve("raft");
    DurableFiles.createDirectories(raftDir);
    Map<RaftGroupId, StreamStateMachine> machines = new HashMap<>();
    HttpSnapshotSource snapshots = new HttpSnapshotSource(config);
    for (int g = 0; g < config.groups(); g++) {
      RaftGroupId gid = groupId(g);
      StreamStateMachine sm = new StreamStateMachine(g,
          config.dataDir().resolve("groups").resolve(String.format("g%03d", g)).resolve("segments"),
          config.segmentBytesMax(), config.tailCacheBytes(), config.readCacheBytes() / config.groups(), snapshots,
          halt, faults);
      machines.put(gid, sm);
      RaftGroup rg = RaftGroup.valueOf(gid, peersFor(config, g));
      final int gi = g;
      barriers.add(new ReadBarrier(() -> readIndex(gi)));
      AppendBatcher batcher = new AppendBatcher(g, clock, metrics, entry -> submit(gi, entry), config.batchBytesMax(),
          config.batchAppendsMin(), config.batchAppendsMax(), config.entriesInFlightMax(), config.pendingAppendsMax(), config.pendingBytesMax(),
          config.writeTimeoutMillis(), limits(config), this::clusterFeatureLevel);
      groups.add(new GroupHandle(g, rg, sm, batcher));
    }
    this.repair = config.peers().size() > 1
        ? new SegmentRepair(this::storeOf, this::repairPeers, snapshots, config.dataDir().resolve("repair"), metrics,
            System::nanoTime)
        : null;
    RaftProperties p = properties(config, raftDir);
    this.properties = p;
    this.forwarderProperties = new RaftProperties(p);
    RaftClientConfigKeys.Rpc.setRequestTimeout(forwarderProperties, forwardAttemptTimeout(config));
    this.forwarderRetries = forwardRetryPolicy(config);
    this.server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(config.nodeId()))
        .setProperties(p)
        .setStateMachineRegistry(gid -> {
          StreamStateMachine sm = machines.get(gid);
          if (sm == null) {
            throw new IllegalStateException("unknown Raft group " + gid + " in " + raftDir);
          }
          return sm;
        })
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
  }

  /** Starts Ratis and adds any group this node does not host yet. */
  @Override
  public void start() throws IOException {
    long sweepMillis = Math.max(10, Math.min(250, config.writeTimeoutMillis() / 10));
    writeTimeouts.scheduleWithFixedDelay(() -> {
      long now = clock.nanoTime(); // the batchers' queue clock
      for (GroupHandle h : groups) {
        h.batcher().expire(now);
      }
    }, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    server.start();
    Set<RaftGroupId> existing = new HashSet<>();
    server.getGroupIds().forEach(existing::add);
    for (GroupHandle h : groups) {
      if (!existing.contains(h.raftGroup.getGroupId())) {
        RaftClientReply r = server.groupManagement(GroupManagementRequest.newAdd(clientId, server.getId(),
            callIds.incrementAndGet(), h.raftGroup, true));
        if (!r.isSuccess()) {
          throw new IOException("cannot add group " + h.index + ": " + r.getException());
        }
      }
    }
    LOG.info("Ratis server {} hosts {} groups ({} transport)", server.getId(), groups.size(), config.raftRpc());
    // announce this build's feature level until the registry group has it (once per start, or
    // again if a snapshot from an older leader replaced the record)
    writeTimeouts.scheduleWithFixedDelay(this::announceIfNeeded, 0, 200, TimeUnit.MILLISECONDS);
    if (repair != null) {
      repair.start();
    }
    scrub = new Scrub(groups.size(), g -> groups.get(g).stateMachine().state(), config.disk().scrubBytesPerSecond(),
        metrics, (g, e) -> {
          if (repair != null) {
            repair.request(g, e);
          }
        });
    scrub.start();
    if (config.disk().reclaim() && !config.tiering().enabled()) {
      reclaim = new Reclaim(groups.size(), g -> groups.get(g).stateMachine().state(), config.disk().reclaimIntervalMillis(),
          config.disk().compactGarbagePercentMin(), this::clusterFeatureLevel, metrics, new Reclaim.Upkeep() {
            @Override
            public void requestSnapshot(int g) throws IOException {
              RaftHost.this.requestSnapshot(g);
            }

            @Override
            public void commitNop(int g) {
              if (isLeader(g)) {
                group(g).batcher().submit(new io.tributary.state.Command.Nop(new StreamKey("", "")), 64)
                    .whenComplete((o, e) -> LOG.debug("group {}: reclaim nop: {}", g, e == null ? o : e.toString()));
              }
            }
          });
      reclaim.start();
    }
    if (config.rejoin() && config.peers().size() > 1) {
      Thread t = new Thread(this::rejoin, "tributary-rejoin");
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * A node that lost its data must not act as the member it was (it forgot its votes and log), and
   * leaders would keep expecting the log it had. So it leaves every group and joins again as a new
   * member (two committed configuration changes, through whichever node leads); a leader treats a
   * new member as bootstrapping and tells it to install a snapshot. Runs once, on its own thread,
   * retrying each group until both changes commit.
   */
  private void rejoin() {
    for (GroupHandle h : groups) {
      List<RaftPeer> all = peersFor(config, h.index);
      List<RaftPeer> others = all.stream().filter(p -> !p.getId().equals(server.getId())).toList();
      for (int attempt = 1; ; attempt++) {
        try (RaftClient c = RaftClient.newBuilder().setProperties(properties).setRaftGroup(h.raftGroup)
            .setClientId(ClientId.randomId()).build()) {
          RaftClientReply out = c.admin().setConfiguration(others);
          RaftClientReply in = out.isSuccess() ? c.admin().setConfiguration(all) : out;
          if (in.isSuccess()) {
            LOG.info("group {}: re-joined as a new member", h.index);
            break;
          }
          LOG.warn("group {}: re-join attempt {} failed: {}", h.index, attempt, describe(in.getException()));
        } catch (IOException | RuntimeException e) {
          LOG.warn("group {}: re-join attempt {} failed: {}", h.index, attempt, e.toString());
        }
        try {
          Thread.sleep(Math.min(5000, 200L * attempt));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * The voters of group {@code g}. Leadership is spread by priority: the peer at position
   * {@code g mod N} of the configured list has priority 1, the others 0, and Ratis hands
   * leadership to the highest-priority peer that is caught up.
   */
  static List<RaftPeer> peersFor(TributaryConfig config, int g) {
    List<RaftPeer> peers = new ArrayList<>();
    List<TributaryConfig.Peer> all = config.peers();
    for (int i = 0; i < all.size(); i++) {
      TributaryConfig.Peer p = all.get(i);
      peers.add(RaftPeer.newBuilder().setId(p.id()).setAddress(p.host() + ":" + p.peerPort())
          .setPriority(all.size() > 1 && i == g % all.size() ? 1 : 0).build());
    }
    return peers;
  }

  static RaftGroupId groupId(int g) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("tributary-group-" + g).getBytes(StandardCharsets.UTF_8)));
  }

  private static RaftProperties properties(TributaryConfig c, Path raftDir) {
    RaftProperties p = new RaftProperties();
    if (c.raftRpc().equals("netty")) {
      RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
      NettyConfigKeys.Server.setHost(p, c.listeners().peerHost());
      NettyConfigKeys.Server.setPort(p, c.peerPort());
    } else {
      // gRPC with a fix in the leader's log appender for a Ratis bug that stalls a follower (GrpcTransport)
      RaftConfigKeys.Rpc.setType(p, new GrpcTransport());
      GrpcConfigKeys.Server.setHost(p, c.listeners().peerHost());
      GrpcConfigKeys.Server.setPort(p, c.peerPort());
    }
    RaftServerConfigKeys.setStorageDir(p, List.of(raftDir.toFile()));
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(c.electionTimeoutMinMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(c.electionTimeoutMaxMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
    // A metadata entry per commit costs a log write, so a single node turns it off
    // (ratis-tuning.md). With peers it stays on: appending it is what makes the leader send the new
    // commit index to followers at once; without it followers learn commits only from heartbeats
    // (every election-timeout-min/2, measured +250 ms on forwarded writes and follower reads).
    p.set("raft.server.log.log-metadata.enabled", Boolean.toString(c.peers().size() > 1));
    // The largest entry is one body (a single append is never split across entries) plus framing.
    long entryMax = Math.max(c.batchBytesMax(), c.bodyBytesMax()) + 64 * 1024;
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(entryMax));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(entryMax + 8));
    RaftServerConfigKeys.Write.setByteLimit(p, SizeInBytes.valueOf(Math.max(entryMax * 2, 8L << 20)));
    RaftServerConfigKeys.Write.setElementLimit(p, 1024);
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(c.raftSegmentBytesMax()));
    // Ratis keeps log entries on the heap: the open segment's always, closed ones' up to these
    // bounds (defaults 6 segments / 200 MB per group made heap grow with data, ~1.6 GB for 8 groups)
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
    RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf(c.raftLogCacheBytesMax()));
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, c.snapshotIntervalEntries()));
    // A lagging follower gets snapshots through the state machine (metadata + segments over HTTP);
    // Ratis's own transfer would need an MD5 of every segment at every snapshot.
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, c.snapshotIntervalEntries());
    // Two snapshots, and the log behind the older one: a newest snapshot that fails its CRC at
    // load is set aside and the group starts from the previous one plus the log (SnapshotFallback).
    // Ratis purges up to the snapshot index but keeps at least this many entries before the log's
    // end: two intervals keep everything after the previous snapshot unless the log ran more than
    // an interval ahead of the applied index (a far-behind follower); then the fallback refuses.
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, 2L * c.snapshotIntervalEntries());
    // the leader answers the read barrier's query only after confirming it still leads (read index)
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    // within its lease (a fraction of the election timeout since the last majority ack) the leader
    // skips the confirmation round; otherwise a barrier could wait for the next heartbeat
    RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, true);
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(entryMax * 2));
    return p;
  }

  @Override
  public GroupMetrics metrics() {
    return metrics;
  }

  @Override
  public AppendBatcher batcher(int g) {
    return groups.get(g).batcher();
  }

  /**
   * A read found a damaged record in group {@code g}'s local segments: counts it and asks for the
   * repair of its segment from a peer ({@link SegmentRepair}). Returns true while that repair is
   * under way (the read may be retried), false when this node has no peer to repair from or no
   * peer could serve a good copy so far. Any thread; no I/O.
   */
  @Override
  public boolean reportDamage(int g, io.tributary.storage.CorruptRecordException e) {
    metrics.damagedRead(g);
    return repair != null && repair.request(g, e);
  }

  /** Group {@code g}'s current segment store, or null while it is not loaded. */
  private io.tributary.storage.SegmentStore storeOf(int g) {
    io.tributary.state.GroupState s = groups.get(g).stateMachine().state();
    return s == null ? null : s.store();
  }

  /** The peers a repair of group {@code g} asks, in order: its leader (it has the most), then the others. */
  private List<String> repairPeers(int g) {
    List<String> out = new ArrayList<>();
    RaftPeerId leader = knownLeader(g);
    if (leader != null && !leader.equals(server.getId())) {
      out.add(leader.toString());
    }
    for (TributaryConfig.Peer p : config.peers()) {
      if (!p.id().equals(config.nodeId()) && !out.contains(p.id())) {
        out.add(p.id());
      }
    }
    return out;
  }

  @Override
  public io.tributary.state.Replica replica(int group) {
    return groups.get(group).stateMachine;
  }

  @Override
  public CompletableFuture<io.tributary.state.Outcome> submit(int group, io.tributary.state.Command command, int bytes) {
    // the batcher fails it with a 503 after write-timeout-ms (start() sweeps every batcher)
    return groups.get(group).batcher.submit(command, bytes + 64);
  }

  @Override
  public int groupCount() {
    return groups.size();
  }

  public GroupHandle group(int index) {
    return groups.get(index);
  }

  public GroupHandle groupOf(StreamKey key) {
    return groups.get(key.groupIndex(groups.size()));
  }

  public List<GroupHandle> groups() {
    return List.copyOf(groups);
  }

  /**
   * Completes when a read on this node reflects every write acknowledged before the call; fails
   * with {@link UnavailableException} (503 + Retry-After) when that is not confirmed within
   * {@code write-timeout-ms} — the leader is unreachable (this node may be cut off), or this
   * replica does not receive what the leader committed.
   */
  @Override
  public CompletableFuture<Void> readBarrier(int g) {
    if (isLeader(g)) {
      return CompletableFuture.completedFuture(null);
    }
    long deadlineMillis = config.writeTimeoutMillis();
    // a copy: the barrier's future is shared by every read that joined it, each has its own deadline
    return barriers.get(g).sync().copy().orTimeout(deadlineMillis, TimeUnit.MILLISECONDS).exceptionallyCompose(t -> {
      Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
      if (cause instanceof TimeoutException) {
        cause = new UnavailableException("group " + g + ": the leader's commit index was not confirmed within "
            + deadlineMillis + " ms (no reachable leader, or this replica is not catching up)", 1);
      }
      return CompletableFuture.failedFuture(cause);
    });
  }

  /**
   * Asks group {@code g}'s state machine for a snapshot now (whatever the entries since the last
   * one), and waits for it. The cold tier uses it: segments are dropped only below the latest
   * snapshot's end. Blocks; never call it on an event loop or a Ratis thread.
   */
  public void requestSnapshot(int g) throws IOException {
    RaftClientReply r = server.snapshotManagement(org.apache.ratis.protocol.SnapshotManagementRequest.newCreate(clientId,
        server.getId(), groups.get(g).raftGroup.getGroupId(), callIds.incrementAndGet(), 30_000, 1));
    if (!r.isSuccess()) {
      throw new IOException("group " + g + ": snapshot request failed: " + describe(r.getException()));
    }
  }

  /** True when this node leads group {@code g} and may submit to it. Any thread. */
  @Override
  public boolean leads(int g) {
    return isLeader(g);
  }

  private boolean isLeader(int g) {
    try {
      var info = server.getDivision(groups.get(g).raftGroup.getGroupId()).getInfo();
      return info.isLeader() && info.isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Asks the group's leader for its last committed data index (see
   * {@link StreamStateMachine#query}) and waits until this replica has applied it.
   */
  private CompletableFuture<Void> readIndex(int g) {
    StreamStateMachine sm = groups.get(g).stateMachine;
    return viaForwarder(g, "read index", c -> c.async().sendReadOnly(Message.EMPTY)).thenCompose(reply -> {
      if (!reply.isSuccess()) {
        throw new CompletionException(new UnavailableException("read index failed: " + describe(reply.getException()), 1));
      }
      return sm.awaitApplied(reply.getMessage().getContent().asReadOnlyByteBuffer().getLong());
    });
  }

  /**
   * Why this node cannot serve every group now (no leader known, a leader not ready yet, a
   * replica stopped on an entry it could not apply); empty when it can. No I/O. Any thread.
   */
  @Override
  public List<String> notReadyReasons() {
    List<String> why = new ArrayList<>();
    int own = io.tributary.state.FeatureLevel.supported();
    if (announcedFeatureLevel() != own) {
      why.add("feature level " + own + " of this node not yet recorded by the registry group");
    }
    for (GroupHandle h : groups) {
      io.tributary.state.ApplyFailure f = h.stateMachine.failure();
      if (f != null) {
        why.add(f.describe());
        continue;
      }
      try {
        RaftServer.Division d = server.getDivision(h.raftGroup.getGroupId());
        if (d.getInfo().getLeaderId() == null) {
          why.add("group " + h.index + " has no leader");
        } else if (d.getInfo().isLeader() && !d.getInfo().isLeaderReady()) {
          why.add("group " + h.index + ": this node is its new leader and not ready yet");
        }
      } catch (IOException e) {
        why.add("group " + h.index + " is not running: " + e.getMessage());
      }
    }
    return why;
  }


  /**
   * The feature level every voter announced (the lowest; a voter that has not announced counts as
   * {@link io.tributary.state.FeatureLevel#BASE}), as this replica of the registry group knows it;
   * a single node needs nobody else's word. Entries are written in the format this level allows.
   * Levels only rise in a correctly run upgrade (downgrades are not supported), so a stale view
   * errs on the old, readable side. Any thread; no I/O.
   */
  @Override
  public int clusterFeatureLevel() {
    int own = io.tributary.state.FeatureLevel.supported();
    if (config.peers().size() <= 1) {
      return own;
    }
    io.tributary.state.GroupState registry = groups.get(REGISTRY_GROUP).stateMachine.state();
    java.util.Map<String, Integer> levels = registry == null ? Map.of() : registry.features();
    int level = own;
    for (TributaryConfig.Peer p : config.peers()) {
      level = Math.min(level, levels.getOrDefault(p.id(), io.tributary.state.FeatureLevel.BASE));
    }
    return level;
  }

  /** The level this node announced, as the registry group recorded it (0: not yet). Any thread. */
  public int announcedFeatureLevel() {
    io.tributary.state.GroupState registry = groups.get(REGISTRY_GROUP).stateMachine.state();
    return registry == null ? 0 : registry.features().getOrDefault(config.nodeId(), 0);
  }

  private final java.util.concurrent.atomic.AtomicBoolean announcing = new java.util.concurrent.atomic.AtomicBoolean();

  /** One announcement at a time, only while the registry's record differs from this build's level. */
  private void announceIfNeeded() {
    int own = io.tributary.state.FeatureLevel.supported();
    RaftPeerId leader = knownLeader(REGISTRY_GROUP);
    boolean writable = leader != null && (!leader.equals(server.getId()) || isLeader(REGISTRY_GROUP));
    if (announcedFeatureLevel() == own || !writable || !announcing.compareAndSet(false, true)) {
      // before the registry group has a ready leader, a submission would wait out the whole write timeout
      return;
    }
    announceFeatureLevel().whenComplete((v, t) -> {
      announcing.set(false);
      if (t == null) {
        LOG.info("announced feature level {}; the cluster is at level {}", own, clusterFeatureLevel());
      } else {
        LOG.debug("feature level announcement not acknowledged yet ({}); retrying", t.toString());
      }
    });
  }

  /** Records this node's feature level in the registry group's log. */
  public CompletableFuture<Void> announceFeatureLevel() {
    io.tributary.state.Command c = new io.tributary.state.Command.AnnounceFeatures(
        new io.tributary.common.StreamKey("", ""), config.nodeId(), io.tributary.state.FeatureLevel.supported());
    return submit(REGISTRY_GROUP, c, 0).thenApply(o -> null);
  }

  /** Role, term, commit and applied index of one group, for /admin and /metrics. */
  @Override
  public GroupStatus status(int index) {
    GroupHandle h = groups.get(index);
    try {
      RaftServer.Division d = server.getDivision(h.raftGroup.getGroupId());
      var info = d.getInfo();
      return new GroupStatus(index, info.getCurrentRole().name(), String.valueOf(info.getLeaderId()),
          info.getCurrentTerm(), d.getRaftLog().getLastCommittedIndex(), info.getLastAppliedIndex(), h.batcher.queued());
    } catch (IOException e) {
      return new GroupStatus(index, "UNKNOWN", "null", -1, -1, -1, h.batcher.queued());
    }
  }

  /** Submits on the local leader, or forwards to the group's leader when this node is not it. */
  private CompletableFuture<GroupReply> submit(int g, byte[] entry) {
    if (isLeader(g)) {
      return submitLocal(g, entry);
    }
    return forward(g, entry);
  }

  /**
   * One forwarded entry (a whole batch) over the group's persistent Ratis client; the client
   * follows leader hints and retries with the same call id, which the leader's retry cache
   * deduplicates.
   */
  private CompletableFuture<GroupReply> forward(int g, byte[] entry) {
    StreamStateMachine sm = groups.get(g).stateMachine;
    Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry));
    CompletableFuture<RaftClientReply> sent = viaForwarder(g, "forwarded write", c -> c.async().send(m));
    return sent.thenApply(reply -> {
      if (!reply.isSuccess()) {
        throw new CompletionException(failedReply(g, "forwarded write", reply));
      }
      return new GroupReply(reply.getMessage().getContent().toByteArray(), sm.awaitApplied(reply.getLogIndex()));
    });
  }

  /**
   * A call on the group's forwarding client. A Ratis async client whose request ran out of
   * retries is closed for good: its sliding window keeps the failure and fails every later
   * request at once ({@code AlreadyClosedException: SlidingWindow$Client ... is closed}), so
   * this node could never again forward a write or pass a read barrier for the group. A call
   * that fails (as opposed to a failed reply) therefore retires the client; the next call builds
   * a new one.
   */
  private CompletableFuture<RaftClientReply> viaForwarder(int g, String what,
      Function<RaftClient, CompletableFuture<RaftClientReply>> call) {
    RaftClient c = forwarder(g);
    CompletableFuture<RaftClientReply> sent;
    try {
      sent = call.apply(c);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return offRatis(sent, g, what, () -> retire(g, c));
  }

  /** Drops a forwarding client that gave up; closes it off the calling thread (closing waits for its channels). */
  private void retire(int g, RaftClient c) {
    if (!forwarders.remove(g, c)) {
      return; // already replaced by an earlier failure
    }
    LOG.warn("group {}: forwarding client {} gave up; the next forward or read barrier uses a new one", g, c.getId());
    Thread t = new Thread(() -> {
      try {
        c.close();
      } catch (IOException e) {
        LOG.warn("group {}: closing retired forwarding client {} failed", g, c.getId(), e);
      }
    }, "tributary-forwarder-close-g" + g);
    t.setDaemon(true);
    t.start();
  }

  /**
   * The group's forwarding client, built on first use and after {@link #retire}. A new client
   * starts at the leader this node knows (else Ratis would try the peers from the first, which
   * after a failover may be the old, unreachable leader: one whole attempt timeout lost).
   */
  private RaftClient forwarder(int g) {
    return forwarders.computeIfAbsent(g, k -> {
      RaftClient.Builder b = RaftClient.newBuilder()
          .setProperties(forwarderProperties)
          .setRaftGroup(groups.get(k).raftGroup)
          .setClientId(ClientId.randomId())
          .setRetryPolicy(forwarderRetries);
      RaftPeerId leader = knownLeader(k);
      if (leader != null && !leader.equals(server.getId())) {
        b.setLeaderId(leader);
      }
      return b.build();
    });
  }

  private RaftPeerId knownLeader(int g) {
    try {
      return server.getDivision(groups.get(g).raftGroup.getGroupId()).getInfo().getLeaderId();
    } catch (IOException e) {
      return null; // the division is not up (yet): the client finds the leader itself
    }
  }

  /**
   * A forwarded write or read-index query ends within {@code write-timeout-ms}, so the client
   * gets its answer (or 503 + Retry-After) in time and the group's next batches do not queue
   * behind a call that still retries. Ratis checks the overall budget only when an attempt
   * fails, so attempts are bounded too: a third of the write timeout each (at most Ratis's
   * default of 3 s), the rest is the budget. A short attempt timeout also matters on its own:
   * against a leader that is cut off (not dead: no connection error), each attempt waits it out
   * before the client tries another peer and follows its leader hint — with 3 s, forwarded writes
   * took ~6.5 s to reach the new leader after a partition.
   */
  private static TimeDuration forwardAttemptTimeout(TributaryConfig c) {
    return TimeDuration.valueOf(Math.min(3000, Math.max(1, c.writeTimeoutMillis() / 3)), TimeUnit.MILLISECONDS);
  }

  private static RetryPolicy forwardRetryPolicy(TributaryConfig c) {
    TimeDuration budget = TimeDuration.valueOf(
        Math.max(1, c.writeTimeoutMillis() - forwardAttemptTimeout(c).toLong(TimeUnit.MILLISECONDS)),
        TimeUnit.MILLISECONDS);
    RetryPolicy paced = RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(100, TimeUnit.MILLISECONDS));
    return RequestTypeDependentRetryPolicy.newBuilder()
        .setRetryPolicy(RaftClientRequestProto.TypeCase.WRITE, paced)
        .setTimeout(RaftClientRequestProto.TypeCase.WRITE, budget)
        .setRetryPolicy(RaftClientRequestProto.TypeCase.READ, paced)
        .setTimeout(RaftClientRequestProto.TypeCase.READ, budget)
        .build();
  }

  private CompletableFuture<GroupReply> submitLocal(int g, byte[] entry) {
    GroupHandle h = groups.get(g);
    RaftClientRequest req = RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(server.getId())
        .setGroupId(h.raftGroup.getGroupId())
        .setCallId(callIds.incrementAndGet())
        .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)))
        .setType(RaftClientRequest.writeRequestType())
        .build();
    CompletableFuture<RaftClientReply> f;
    try {
      f = server.submitClientRequestAsync(req);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new UnavailableException("group " + g + " cannot accept writes: " + e.getMessage(), 1));
    }
    return offRatis(f, g, "write", null).thenCompose(reply -> {
      if (reply.getNotLeaderException() != null) {
        return forward(g, entry); // leadership moved between the check and the submission
      }
      if (!reply.isSuccess()) {
        throw new CompletionException(failedReply(g, "write", reply));
      }
      return CompletableFuture.completedFuture(
          new GroupReply(reply.getMessage().getContent().toByteArray(), CompletableFuture.completedFuture(null)));
    });
  }

  /**
   * {@code f}'s outcome, delivered on the completions thread (see {@link #completions}). Not
   * {@code thenApplyAsync}: an exceptional outcome would skip the executor and run dependents on
   * the Ratis thread after all. A failed Ratis call (retries exhausted, connection lost, client
   * closed) leaves the outcome unknown — a forwarded entry may still commit — so it becomes an
   * {@link UnavailableException} (503 + Retry-After, "retry with producer headers"), never an
   * internal error. {@code onFailure} (may be null) runs first on such a failure.
   */
  private <T> CompletableFuture<T> offRatis(CompletableFuture<T> f, int g, String what, Runnable onFailure) {
    CompletableFuture<T> out = new CompletableFuture<>();
    f.whenCompleteAsync((v, e) -> {
      if (e != null) {
        if (onFailure != null) {
          onFailure.run();
        }
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        out.completeExceptionally(cause instanceof UnavailableException ? cause : new UnavailableException(
            "group " + g + ": " + what + " failed, outcome unknown: " + describe(cause), 1));
      } else {
        out.complete(v);
      }
    }, completions);
    return out;
  }

  /**
   * A write's failed reply as a 503. Ratis fails a reply for entries that never committed (not
   * leader, leader not ready) and for entries that committed but whose apply failed on the
   * replying server (a {@code StateMachineException}: that replica stopped, see
   * {@link io.tributary.state.ReplicaHalt}); the client cannot tell which, so the answer never
   * claims the entry did not commit: the outcome is unknown and a retry with the same producer
   * headers answers truthfully.
   */
  private static UnavailableException failedReply(int g, String what, RaftClientReply reply) {
    String why = reply.getStateMachineException() != null
        ? "committed, but the replica that applied it stopped (" + describe(reply.getStateMachineException().getCause()) + ")"
        : describe(reply.getException());
    return new UnavailableException("group " + g + ": " + what + " failed, outcome unknown (retry with the same "
        + "producer headers): " + why, 1);
  }

  private static String describe(Throwable t) {
    return t == null ? "unknown" : t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  @Override
  public void close() throws IOException {
    for (RaftClient c : forwarders.values()) {
      c.close();
    }
    writeTimeouts.shutdownNow();
    if (scrub != null) {
      scrub.close();
    }
    if (reclaim != null) {
      reclaim.close();
    }
    if (repair != null) {
      repair.close();
    }
    server.close();
    completions.shutdown();
  }

  /** The bounds apply enforces, as every entry this node encodes carries them. */
  public static io.tributary.state.Limits limits(TributaryConfig config) {
    return new io.tributary.state.Limits(config.bounds().producersPerStreamMax(),
        config.bounds().producerIdleExpiryMillis(), config.bounds().bucketStreamsMax(), config.bounds().bucketsMax());
  }

}
