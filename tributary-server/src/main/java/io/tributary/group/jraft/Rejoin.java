package io.tributary.group.jraft;

import com.alipay.sofa.jraft.CliService;
import com.alipay.sofa.jraft.RaftServiceFactory;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.CliOptions;
import io.tributary.common.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-joins groups after this node lost its data ({@code --rejoin true}): a node that forgot its
 * log and its votes must not act as the member it was. For each group it has not re-joined yet
 * (no {@value #MARKER} file in the group's Raft directory, which goes with a lost data directory)
 * it leaves the group and joins again as a new member, through the group's leader, before it
 * ever answers a vote request for that group:
 *
 * <ol>
 *   <li>The group is not started here, so this node's RPC server answers every Raft request for it
 *       (votes, appends, snapshots) with an error: it can neither vote nor acknowledge.
 *   <li>{@code changePeers(others)} through the leader (SOFAJRaft's {@link CliService}): the
 *       configuration change commits on a majority of the old configuration <em>and</em> of the new
 *       one, i.e. on the other members, never with this node's help.
 *   <li>The group starts here with an empty configuration: a SOFAJRaft node with an empty
 *       configuration never starts an election, and no leader sends it anything, as it is no member.
 *   <li>{@code changePeers(all)} through the leader: SOFAJRaft first catches the new member up (the
 *       leader's log no longer reaches back to index 1, so it sends its latest snapshot, which
 *       {@link SnapshotFiles} installs, then the log after it), then commits the change.
 * </ol>
 *
 * <p>Why not simply start on an empty log: SOFAJRaft grants a vote when the candidate's log is at
 * least as up to date as its own ({@code handleRequestVoteRequest} compares (last term, last
 * index) and does not look at the configuration), so a member with an empty log grants every
 * vote it is asked for, in any term it has not voted in since the wipe. Its empty log keeps it from
 * <em>winning</em> an election (no other member votes for a log older than its own), but its
 * votes are not safe: an entry that committed with this node's acknowledgement may now be held by
 * one other member only, and the empty node would help a candidate without that entry to a
 * majority, which then overwrites a committed entry; and a vote it forgot lets two leaders win
 * the same term. Pre-votes are harmless (they change no state, and SOFAJRaft refuses a pre-vote
 * from a candidate outside its configuration). The window is closed as long as the wiped node
 * starts with {@code --rejoin true}; started without it, the node starts as the member it was
 * (SOFAJRaft cannot tell a wiped member from a new cluster's first start), which the operations
 * guide forbids.
 *
 * <p>What remains: a vote request sent before the wipe, for a term still current after the whole
 * leave and join, and delivered only then, could meet a node that voted differently in that term
 * before the wipe. SOFAJRaft's RPCs time out after an election timeout and a candidate moves to
 * the next term once its own timeout passed, so such a message would have to outlive both by
 * seconds; closing it for good would need the joined node to refuse votes for terms up to the one
 * it joined in.
 *
 * <p>Steps 2 and 4 are idempotent (a change to the current configuration is a no-op), so a
 * failed attempt is simply repeated, and a node that crashes half way re-runs them at its next
 * start (the marker is written once step 4 committed; a node that kept its log but is not a
 * member yet starts as a non-member, which neither elects nor is counted). A node that did not
 * lose its data but is started with the flag re-joins once, which costs two configuration
 * changes. Step 2 needs both other members up (three voters); the node keeps retrying until
 * then. A group is done once step 4 committed; until then the node reports not ready.
 *
 * <p>Threads: {@link #start} from the host's start; the work runs on its own thread,
 * {@code tributary-jraft-rejoin}, one group after another; {@link #done} and {@link #progress}
 * from any thread.
 */
final class Rejoin {
  private static final Logger LOG = LoggerFactory.getLogger(Rejoin.class);
  /** In a group's Raft directory once this node re-joined the group as a new member. */
  static final String MARKER = "rejoined-as-new-member";
  private static final long RETRY_MILLIS_MIN = 200;
  private static final long RETRY_MILLIS_MAX = 5_000;

  /** Starts group {@code g} on this node with an empty configuration. */
  interface GroupStart {
    void start(int g) throws IOException;
  }

  private final List<Integer> groups;
  private final Configuration all;
  private final PeerId self;
  private final IntFunction<Path> raftDir;
  private final GroupStart startGroup;
  private final long rpcTimeoutMillis;
  private final Map<Integer, String> progress = new ConcurrentHashMap<>();
  private final Thread thread;
  /** Set by {@link #stop}: an interrupt alone is not enough, SOFAJRaft's CliService swallows it. */
  private volatile boolean stopped;

  /**
   * @param groups the groups to re-join
   * @param all every voter (this node included)
   * @param rpcTimeoutMillis how long one leader look-up waits for a peer's answer
   */
  Rejoin(List<Integer> groups, Configuration all, PeerId self, IntFunction<Path> raftDir, GroupStart startGroup,
      long rpcTimeoutMillis) {
    this.raftDir = raftDir;
    this.groups = List.copyOf(groups);
    this.all = all.copy();
    this.self = self.copy();
    this.startGroup = startGroup;
    this.rpcTimeoutMillis = rpcTimeoutMillis;
    for (int g : groups) {
      progress.put(g, "waiting");
    }
    this.thread = new Thread(this::run, "tributary-jraft-rejoin");
    this.thread.setDaemon(true);
  }

  /** The groups this node has not re-joined yet (no marker: the data directory was lost since). */
  static List<Integer> groupsToRejoin(IntFunction<Path> raftDir, int groups) {
    List<Integer> out = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      if (!Files.exists(raftDir.apply(g).resolve(MARKER))) {
        out.add(g);
      }
    }
    return out;
  }

  void start() {
    LOG.warn("--rejoin: groups {} were not re-joined since this data directory was created; re-joining them as a"
        + " new member through their leaders", groups);
    thread.start();
  }

  /** True once group {@code g} is not being re-joined (never was, or its re-join committed). */
  boolean done(int g) {
    return !progress.containsKey(g);
  }

  /** What the re-join of group {@code g} waits for. */
  String progress(int g) {
    return progress.getOrDefault(g, "done");
  }

  /** Interrupts the work and waits for its thread (the host is closing). */
  void stop() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    thread.join(10_000);
  }

  private void run() {
    CliOptions opts = new CliOptions();
    opts.setTimeoutMs((int) rpcTimeoutMillis);
    CliService cli = RaftServiceFactory.createAndInitCliService(opts);
    try {
      for (int g : groups) {
        rejoin(cli, g);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.info("re-join interrupted (the node is closing)");
    } catch (IOException e) {
      LOG.error("re-join stopped: {}", e.toString(), e);
    } finally {
      cli.shutdown();
    }
  }

  private void rejoin(CliService cli, int g) throws InterruptedException, IOException {
    String id = JRaftHost.groupId(g);
    Configuration others = all.copy();
    others.removePeer(self);
    change(cli, g, id, others, "leave (the others commit a configuration without this node)");
    progress.put(g, "starting with an empty configuration");
    startGroup.start(g);
    change(cli, g, id, all, "join as a new member (the leader sends a snapshot, then commits the configuration)");
    DurableFiles.writeAtomically(raftDir.apply(g).resolve(MARKER), new byte[0]);
    progress.remove(g);
    LOG.warn("group {}: re-joined as a new member", g);
  }

  /** Repeats {@code changePeers(target)} through the leader until it committed. */
  private void change(CliService cli, int g, String id, Configuration target, String what)
      throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      if (stopped) {
        throw new InterruptedException("closing");
      }
      progress.put(g, what + ", attempt " + attempt);
      Status st = cli.changePeers(id, all, target);
      if (st.isOk()) {
        LOG.info("group {}: {}: done, configuration {}", g, what, target);
        return;
      }
      LOG.warn("group {}: {}: attempt {} failed: {}", g, what, attempt, st);
      Thread.sleep(Math.min(RETRY_MILLIS_MAX, RETRY_MILLIS_MIN * attempt));
    }
  }
}
