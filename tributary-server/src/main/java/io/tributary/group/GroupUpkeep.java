package io.tributary.group;

import io.tributary.common.StreamKey;
import io.tributary.config.TributaryConfig;
import io.tributary.state.Command;
import io.tributary.state.GroupState;
import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.SegmentStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background care of a node's local replicas, whatever engine feeds them: the scrub that
 * re-reads every stored record ({@link Scrub}), the repair of damaged records from a peer
 * ({@link SegmentRepair}, not on a single node: no peer to repair from) and the reclamation of
 * garbage segments ({@link Reclaim}, not on a node that tiers: the cold tier drops segments
 * itself). It reaches the engine only through {@link EngineHost}: group state, leadership,
 * snapshots on request and no-op entries.
 *
 * <p>Threads: built and started on the main thread after the engine started; each part runs its
 * own thread ({@code tributary-scrub}, {@code tributary-segment-repair}, {@code tributary-reclaim});
 * {@link #reportDamage} from any thread.
 */
public final class GroupUpkeep implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupUpkeep.class);

  private final TributaryConfig config;
  private final EngineHost host;
  private final SegmentRepair repair;
  private Scrub scrub;
  private Reclaim reclaim;

  public GroupUpkeep(TributaryConfig config, EngineHost host) {
    this.config = config;
    this.host = host;
    this.repair = config.peers().size() > 1
        ? new SegmentRepair(this::storeOf, this::repairPeers, new HttpSnapshotSource(config),
            config.dataDir().resolve("repair"), host.metrics(), System::nanoTime)
        : null;
  }

  public void start() throws IOException {
    if (repair != null) {
      repair.start();
    }
    scrub = new Scrub(host.groupCount(), this::stateOf, config.disk().scrubBytesPerSecond(), host.metrics(),
        (g, e) -> {
          if (repair != null) {
            repair.request(g, e);
          }
        });
    scrub.start();
    if (config.disk().reclaim() && !config.tiering().enabled()) {
      reclaim = new Reclaim(host.groupCount(), this::stateOf, config.disk().reclaimIntervalMillis(),
          config.disk().compactGarbagePercentMin(), host::clusterFeatureLevel, host.metrics(), new Reclaim.Upkeep() {
            @Override
            public void requestSnapshot(int g) throws IOException {
              host.requestSnapshot(g);
            }

            @Override
            public void commitNop(int g) {
              if (host.leads(g)) {
                host.submit(g, new Command.Nop(new StreamKey("", "")), 0)
                    .whenComplete((o, e) -> LOG.debug("group {}: reclaim nop: {}", g, e == null ? o : e.toString()));
              }
            }
          });
      reclaim.start();
    }
  }

  /**
   * A read found a damaged record in group {@code g}'s local segments: asks for the repair of its
   * segment from a peer. True while that repair is under way (the read may be retried), false
   * when this node has no peer to repair from or no peer could serve a good copy so far. No I/O.
   */
  public boolean reportDamage(int g, CorruptRecordException e) {
    host.metrics().damagedRead(g);
    return repair != null && repair.request(g, e);
  }

  private GroupState stateOf(int g) {
    return host.replica(g).state();
  }

  /** Group {@code g}'s current segment store, or null while it is not loaded. */
  private SegmentStore storeOf(int g) {
    GroupState s = stateOf(g);
    return s == null ? null : s.store();
  }

  /** The peers a repair of group {@code g} asks, in order: its leader (it has the most), then the others. */
  private List<String> repairPeers(int g) {
    List<String> out = new ArrayList<>();
    String leader = host.status(g).leaderId();
    if (!leader.equals("null") && !leader.equals(config.nodeId())) {
      out.add(leader);
    }
    for (TributaryConfig.Peer p : config.peers()) {
      if (!p.id().equals(config.nodeId()) && !out.contains(p.id())) {
        out.add(p.id());
      }
    }
    return out;
  }

  @Override
  public void close() {
    if (scrub != null) {
      scrub.close();
    }
    if (reclaim != null) {
      reclaim.close();
    }
    if (repair != null) {
      repair.close();
    }
  }
}
