package io.tributary.node;

import io.tributary.auth.Authentication;
import io.tributary.cold.ObjectStore;
import io.tributary.common.Clock;
import io.tributary.config.TributaryConfig;
import io.tributary.http.HttpServer;
import io.tributary.http.Plane;
import io.tributary.service.ClusterStatus;
import io.tributary.service.ReadPool;
import io.tributary.service.StreamService;
import java.io.IOException;
import java.nio.file.Files;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Tributary node: the consensus engine with its groups, the stream service and the HTTP listener.
 * Started and closed on the caller's thread; everything else runs on the threads those parts own.
 */
public final class TributaryNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TributaryNode.class);

  private final TributaryConfig config;
  private final Clock clock;
  private ObjectStore objectStore;
  private io.tributary.cold.BlockCache coldCache;
  private io.tributary.group.ColdTier tier;
  /** The orphan sweep of a node that puts snapshot blobs into the store without tiering; null otherwise (the tier runs its own). */
  private io.tributary.group.OrphanSweep blobSweep;
  private StreamService service;
  /** Push subscriptions, on their own engine thread ({@code tributary-subscriptions}). */
  private io.tributary.service.subscription.Subscriptions subscriptions;
  private java.util.concurrent.ScheduledExecutorService subscriptionThreads;
  private io.tributary.group.EngineHost raft;
  private ReadPool readPool;
  private HttpServer http;
  private HttpServer adminHttp;
  /** TLS of the client and admin listeners; null where they serve plain HTTP. */
  private io.tributary.http.ServerTls clientTls;
  private io.tributary.http.ServerTls adminTls;
  /** The peer data listener (snapshot and segment transfer); null on a single node. */
  private HttpServer peerHttp;
  private int adminPort;
  private Authentication auth;
  /** Mutual TLS of the peer data listener, or null (plain HTTP, or a single node). */
  private io.tributary.http.ServerTls peerTls;
  private io.tributary.storage.DiskSpace disk;
  private HealthMonitor health;
  private int port;

  public TributaryNode(TributaryConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  public void start() throws IOException, InterruptedException {
    LOG.info("starting Tributary node {} with effective config:\n{}", config.nodeId(), config.describe());
    // certificate and key checked before anything starts: a pair that cannot serve fails the start
    clientTls = io.tributary.http.ServerTls.open(Plane.CLIENT, config.tls());
    adminTls = io.tributary.http.ServerTls.open(Plane.ADMIN, config.tls());
    Files.createDirectories(config.dataDir());
    io.tributary.config.DataDirLayout.record(config.dataDir(), config.groups());
    disk = new io.tributary.storage.DiskSpace(config.dataDir(), config.disk().freeBytesMin(), 5);
    health = new HealthMonitor(disk);
    health.start(config.disk().checkIntervalMillis());
    // built without I/O, so a bad cold-tier config fails at start
    objectStore = ColdStores.open(config.cold());
    coldCache = new io.tributary.cold.BlockCache(objectStore, ColdStores.cacheOptions(config.cold()));
    raft = engine(config, clock);
    raft.start();
    // snapshot blobs may live in the object store only if every replica reads the same one
    boolean shared = config.peers().size() == 1 || config.cold().usesS3();
    io.tributary.group.UploadClaims claims = new io.tributary.group.UploadClaims(config.groups());
    if (config.tiering().enabled()) {
      tier = new io.tributary.group.ColdTier(raft, objectStore, coldCache, config.tiering(), config.writeTimeoutMillis(), clock,
          claims);
      tier.start();
      LOG.info("cold tiering on: object store {}, hot budget {} bytes per node", objectStore.describe(),
          config.tiering().hotBytesMax());
    } else {
      LOG.info("cold tiering off: {}; all data stays on this node's disk (object store {} is only read for ranges tiered "
          + "before)", config.cold().usesS3() ? "--tiering off"
              : "no S3 object store (--tiering auto tiers only to S3; --tiering on tiers to --object-store-dir)",
          objectStore.describe());
      if (shared) {
        // large snapshot blobs still go to the store: their orphans need sweeping all the same
        blobSweep = io.tributary.group.OrphanSweep.withoutTiering(raft, objectStore, coldCache, config.tiering(), clock, claims);
        blobSweep.start();
      }
    }
    readPool = new ReadPool(config.readThreads(), config.readQueueMax());
    service = new StreamService(raft, clock, config, () -> UUID.randomUUID().toString(), readPool, coldCache,
        tier, shared ? objectStore : null, claims, disk);
    service.start();
    subscriptionThreads = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
        r -> new Thread(r, "tributary-subscriptions"));
    subscriptions = new io.tributary.service.subscription.Subscriptions(service,
        new io.tributary.service.SystemLog(service, "subscriptions"), subscriptionThreads, clock, config.subscriptions(),
        new io.tributary.service.subscription.WebhookSender(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
    subscriptions.start();
    auth = new Authentication(config.auth());
    auth.start();
    if (!auth.enabled()) {
      LOG.warn("authentication is off: every client that reaches {}:{} may read, write and delete every stream{}",
          config.host(), config.port(), config.auth().insecure() ? " (--insecure true)" : " (loopback only)");
    }
    io.tributary.config.ListenersConfig l = config.listeners();
    if (l.peerDataPort() > 0) {
      peerTls = io.tributary.http.ServerTls.open(Plane.PEER, config.tls());
      peerHttp = listener(Plane.PEER, peerTls);
      peerHttp.start(l.peerHost(), l.peerDataPort());
    }
    adminHttp = listener(Plane.ADMIN, adminTls);
    adminPort = adminHttp.start(l.adminHost(), l.adminPort());
    http = listener(Plane.CLIENT, clientTls);
    port = http.start(config.host(), config.port());
    LOG.info("Tributary node {} listening on {}://{}:{} (admin on {}://{}:{}, peers on {}:{}{}; data in {})",
        config.nodeId(), clientTls == null ? "http" : "https", config.host(), port, adminTls == null ? "http" : "https",
        l.adminHost(), adminPort, l.peerHost(), config.peerPort(),
        l.peerDataPort() > 0 ? " and data " + l.peerDataPort() : "", config.dataDir().toAbsolutePath());
  }

  /**
   * The consensus engine (SOFAJRaft). A data directory written by the Apache Ratis builds before it
   * ({@code raft/} holds their log) is refused: SOFAJRaft would start from an empty log and truncate
   * every segment (docs/operations.md, "Upgrading from a Ratis data directory").
   */
  private static io.tributary.group.EngineHost engine(TributaryConfig config, Clock clock) throws IOException {
    java.nio.file.Path ratis = config.dataDir().resolve("raft");
    if (Files.exists(ratis)) {
      throw new io.tributary.config.ConfigException("the data directory " + config.dataDir() + " was written by an "
          + "Apache Ratis build (it holds raft/); this build runs SOFAJRaft and cannot read that log: export the "
          + "streams with the old build and import them here (docs/operations.md)");
    }
    return new io.tributary.group.jraft.JRaftHost(config, clock);
  }

  /**
   * Why this node cannot serve fully (no I/O: the disk part is the health monitor's last
   * reading); empty when every local group has a leader, no replica stopped, and the data
   * directory is writable with space above the watermark.
   */
  public java.util.List<String> notReady() {
    if (raft == null) {
      return java.util.List.of("starting");
    }
    java.util.List<String> why = new java.util.ArrayList<>(raft.notReadyReasons());
    io.tributary.storage.DiskSpace.Reading r = disk.reading();
    if (!r.ok()) {
      why.add(r.problem());
    }
    return why;
  }

  /** The client listener's port. */
  public int port() {
    return port;
  }

  /** The admin listener's port. */
  public int adminPort() {
    return adminPort;
  }

  private HttpServer listener(Plane plane, io.tributary.http.ServerTls tls) {
    return new HttpServer(plane, config, service, new ClusterStatus(raft, config),
        new io.tributary.service.SegmentExports(raft, config.segmentBytesMax()), clock, this::notReady, this::metrics,
        auth, tls, plane == Plane.CLIENT ? subscriptions : null);
  }

  /** The cold tier's object store. */
  public ObjectStore objectStore() {
    return objectStore;
  }

  /** The node's tiering, or null when it does not tier. */
  public io.tributary.group.ColdTier tier() {
    return tier;
  }

  public TributaryConfig config() {
    return config;
  }

  String metrics() {
    return Metrics.render(raft, http) + http.abuseMetrics() + health.metrics() + service.reads().metrics() + service.expirySweep().metrics() + service.quotaMetrics() + subscriptions.metrics() + (tier == null ? "" : tier.metrics())
        + (blobSweep == null ? "" : blobSweep.metrics()) + tlsMetrics();
  }

  private String tlsMetrics() {
    if (clientTls == null && adminTls == null && peerTls == null) {
      return "";
    }
    return io.tributary.http.ServerTls.metricsHeader() + (clientTls == null ? "" : clientTls.metrics())
        + (adminTls == null ? "" : adminTls.metrics()) + (peerTls == null ? "" : peerTls.metrics());
  }

  @Override
  public void close() {
    for (HttpServer h : new HttpServer[] {http, adminHttp, peerHttp}) {
      if (h != null) {
        h.close();
      }
    }
    for (io.tributary.http.ServerTls t : new io.tributary.http.ServerTls[] {clientTls, adminTls, peerTls}) {
      if (t != null) {
        t.close();
      }
    }
    if (health != null) {
      health.close();
    }
    if (auth != null) {
      auth.close();
    }
    if (subscriptions != null) {
      subscriptions.close();
    }
    if (service != null) {
      service.close();
    }
    if (tier != null) {
      tier.close();
    }
    if (blobSweep != null) {
      blobSweep.close();
    }
    if (readPool != null) {
      readPool.close();
    }
    if (raft != null) {
      try {
        raft.close();
      } catch (IOException e) {
        LOG.warn("closing the consensus engine failed", e);
      }
    }
    if (coldCache != null) {
      coldCache.close();
    }
    if (objectStore != null) {
      objectStore.close();
    }
  }
}
