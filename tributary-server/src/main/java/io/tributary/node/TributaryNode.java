package io.tributary.node;

import io.tributary.cold.ObjectStore;
import io.tributary.common.Clock;
import io.tributary.config.TributaryConfig;
import io.tributary.group.RaftHost;
import io.tributary.http.HttpServer;
import io.tributary.service.ClusterStatus;
import io.tributary.service.ReadPool;
import io.tributary.service.SnapshotExports;
import io.tributary.service.StreamService;
import java.io.IOException;
import java.nio.file.Files;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Tributary node: Ratis host with its groups, the stream service and the HTTP listener.
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
  private io.tributary.group.EngineHost raft;
  private ReadPool readPool;
  private HttpServer http;
  private io.tributary.storage.DiskSpace disk;
  private HealthMonitor health;
  private int port;

  public TributaryNode(TributaryConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  public void start() throws IOException, InterruptedException {
    LOG.info("starting Tributary node {} with effective config:\n{}", config.nodeId(), config.describe());
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
      if (!(raft instanceof RaftHost ratis)) {
        throw new io.tributary.config.ConfigException("--engine " + config.engine() + ": cold tiering runs on the "
            + "ratis engine only so far (use --tiering off)");
      }
      tier = new io.tributary.group.ColdTier(ratis, objectStore, coldCache, config.tiering(), config.writeTimeoutMillis(), clock,
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
    http = new HttpServer(config, service, new ClusterStatus(raft, config), new SnapshotExports(raft),
        new io.tributary.service.SegmentExports(raft, config.segmentBytesMax()), clock, this::notReady,
        this::metrics);
    port = http.start();
    LOG.info("Tributary node {} listening on http://{}:{} (data in {})", config.nodeId(), config.host(), port,
        config.dataDir().toAbsolutePath());
  }

  /**
   * The consensus engine the config names. A data directory keeps the engine that created it: each
   * keeps its own Raft log ({@code raft/} or {@code jraft/}), and the other would start from an
   * empty log and truncate every segment.
   */
  private static io.tributary.group.EngineHost engine(TributaryConfig config, Clock clock) throws IOException {
    boolean jraft = config.engine().equals("jraft");
    java.nio.file.Path other = config.dataDir().resolve(jraft ? "raft" : "jraft");
    if (Files.exists(other)) {
      throw new io.tributary.config.ConfigException("--engine " + config.engine() + ": the data directory "
          + config.dataDir() + " was created by the other engine (it holds " + other.getFileName() + "/)");
    }
    return jraft ? new io.tributary.group.jraft.JRaftHost(config, clock) : new RaftHost(config, clock);
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

  public int port() {
    return port;
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
    return Metrics.render(raft, http) + health.metrics() + service.reads().metrics() + service.expirySweep().metrics() + (tier == null ? "" : tier.metrics())
        + (blobSweep == null ? "" : blobSweep.metrics());
  }

  @Override
  public void close() {
    if (http != null) {
      http.close();
    }
    if (health != null) {
      health.close();
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
        LOG.warn("closing Ratis failed", e);
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
