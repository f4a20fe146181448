package io.tributary.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import io.tributary.storage.SegmentStore;
import io.tributary.storage.StreamIndex;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: apply is deterministic and implements the protocol's producer and closure rules, and a
 * replica forgets the index entries of tiered records once their segments are gone (only those,
 * and only where the chunks list record starts). Method: drive {@link GroupState} directly with
 * encoded batches (as Ratis would), on two independent replicas, and compare their snapshots
 * byte for byte; check the §9 producer table; delete segments as the cold tier does and check
 * what the index keeps, also across a snapshot round trip.
 */
class GroupStateTest {
  private static final StreamKey S = new StreamKey("default", "s");
  @TempDir
  Path dir;

  private GroupState replica(String name) {
    return new GroupState(0, new SegmentStore(dir.resolve(name), 1 << 20, 1 << 20), new WatchRegistry());
  }

  private static Outcome one(GroupState g, long now, Command c) {
    byte[] entry = CommandCodec.encode(now, List.of(c), 64);
    return g.apply(CommandCodec.decode(ByteBuffer.wrap(entry))).get(0);
  }

  private static Outcome one(GroupState g, long now, Limits limits, Command c) {
    byte[] entry = CommandCodec.encode(now, limits, List.of(c), 64);
    return g.apply(CommandCodec.decode(ByteBuffer.wrap(entry))).get(0);
  }

  private static Command.Append append(String body, Command.Producer p) {
    return new Command.Append(S, "text/plain", body.getBytes(), 0, false, null, p);
  }

  /**
   * Stream-Incarnation: successful writes name the stream's id, and a guarded command (encoded and
   * decoded like any entry) applies only to the incarnation it names, changing nothing otherwise.
   */
  @Test
  void incarnationGuardAppliesOnlyToTheIncarnationItNames() {
    GroupState g = replica("inc");
    Command.Create create = new Command.Create(S, "text/plain", -1, null, -1, false, new byte[0], 0, null);
    long first = one(g, 1, create).streamId();
    assertThat(first).isPositive();
    Outcome guarded = one(g, 2, new Command.IfIncarnation(S, first, append("a", null)));
    assertThat(guarded.code()).isEqualTo(Outcome.Code.APPENDED);
    assertThat(guarded.streamId()).isEqualTo(first);

    assertThat(one(g, 3, new Command.Delete(S)).code()).isEqualTo(Outcome.Code.DELETED);
    Outcome recreate = one(g, 4, new Command.IfIncarnation(S, first, create));
    assertThat(recreate.code()).as("a create cannot bring back a gone incarnation")
        .isEqualTo(Outcome.Code.PRECONDITION_FAILED);
    long second = one(g, 5, create).streamId();
    assertThat(second).isNotEqualTo(first);

    Outcome stale = one(g, 6, new Command.IfIncarnation(S, first, append("b", null)));
    assertThat(stale.code()).isEqualTo(Outcome.Code.PRECONDITION_FAILED);
    assertThat(stale.streamId()).isEqualTo(second);
    assertThat(stale.tail()).isZero();
    assertThat(one(g, 7, new Command.IfIncarnation(S, first, new Command.Delete(S))).code())
        .isEqualTo(Outcome.Code.PRECONDITION_FAILED);
    assertThat(g.view(S).streamId()).isEqualTo(second);
    assertThat(g.view(S).tail()).isZero();
  }

  @Test
  void producerRulesFollowTheProtocolTable() {
    GroupState g = replica("a");
    assertThat(one(g, 1, new Command.Create(S, "text/plain", -1, null, -1, false, new byte[0], 0, null)).code())
        .isEqualTo(Outcome.Code.CREATED);
    assertThat(one(g, 2, append("x", new Command.Producer("p", 0, 1))).code()).isEqualTo(Outcome.Code.PRODUCER_GAP);
    assertThat(one(g, 2, append("a", new Command.Producer("p", 0, 0))).code()).isEqualTo(Outcome.Code.APPENDED);
    Outcome dup = one(g, 3, append("a", new Command.Producer("p", 0, 0)));
    assertThat(dup.code()).isEqualTo(Outcome.Code.DUPLICATE);
    assertThat(dup.producerSeq()).isZero();
    assertThat(one(g, 4, append("b", new Command.Producer("p", 0, 1))).code()).isEqualTo(Outcome.Code.APPENDED);
    Outcome gap = one(g, 5, append("c", new Command.Producer("p", 0, 3)));
    assertThat(gap.code()).isEqualTo(Outcome.Code.PRODUCER_GAP);
    assertThat(gap.expectedSeq()).isEqualTo(2);
    assertThat(gap.receivedSeq()).isEqualTo(3);
    assertThat(one(g, 6, append("d", new Command.Producer("p", 1, 5))).code()).isEqualTo(Outcome.Code.PRODUCER_BAD_EPOCH);
    assertThat(one(g, 7, append("e", new Command.Producer("p", 1, 0))).code()).isEqualTo(Outcome.Code.APPENDED);
    Outcome stale = one(g, 8, append("f", new Command.Producer("p", 0, 2)));
    assertThat(stale.code()).isEqualTo(Outcome.Code.PRODUCER_STALE_EPOCH);
    assertThat(stale.producerEpoch()).isEqualTo(1);
    assertThat(g.view(S).tail()).isEqualTo(3);
    Outcome close = one(g, 9, new Command.Append(S, null, new byte[0], 0, true, null, new Command.Producer("p", 1, 1)));
    assertThat(close.code()).isEqualTo(Outcome.Code.CLOSED);
    assertThat(one(g, 10, new Command.Append(S, null, new byte[0], 0, true, null, new Command.Producer("p", 1, 1))).code())
        .isEqualTo(Outcome.Code.DUPLICATE);
    Outcome closed = one(g, 11, append("g", null));
    assertThat(closed.code()).isEqualTo(Outcome.Code.CONFLICT_CLOSED);
    assertThat(closed.tail()).isEqualTo(3);
  }

  /**
   * A stream keeps at most producers-per-stream-max producers; one idle for producer-idle-expiry-ms
   * is forgotten (its next append starts over at seq 0) and makes room for a new one. The table
   * survives a snapshot round trip with its activity times, and a replica restored from it decides
   * the next appends exactly as the replica that wrote it.
   */
  @Test
  void producersAreBoundedAndIdleOnesExpire() throws Exception {
    Limits limits = new Limits(2, 1000);
    GroupState g = replica("producers");
    assertThat(one(g, 0, limits, new Command.Create(S, "text/plain", -1, null, -1, false, new byte[0], 0, null)).code())
        .isEqualTo(Outcome.Code.CREATED);
    assertThat(one(g, 100, limits, append("a", new Command.Producer("a", 0, 0))).code()).isEqualTo(Outcome.Code.APPENDED);
    assertThat(one(g, 200, limits, append("b", new Command.Producer("b", 0, 0))).code()).isEqualTo(Outcome.Code.APPENDED);
    Outcome full = one(g, 300, limits, append("c", new Command.Producer("c", 0, 0)));
    assertThat(full.code()).as("a third producer while both are active").isEqualTo(Outcome.Code.LIMIT_REACHED);
    assertThat(full.message()).contains("producers-per-stream-max (2)").contains("in about 1 s");
    assertThat(one(g, 300, limits, append("a", new Command.Producer("a", 0, 1))).code())
        .as("known producers go on").isEqualTo(Outcome.Code.APPENDED);
    assertThat(one(g, 1199, limits, append("b", new Command.Producer("b", 0, 0))).code())
        .as("b's retry just before its expiry is still deduplicated").isEqualTo(Outcome.Code.DUPLICATE);

    GroupState restored = roundTrip(g, "producers");
    for (GroupState replica : List.of(g, restored)) {
      Outcome gap = one(replica, 1200, limits, append("b", new Command.Producer("b", 0, 1)));
      assertThat(gap.code()).as("b idle for the expiry: forgotten, must start at seq 0").isEqualTo(Outcome.Code.PRODUCER_GAP);
      assertThat(gap.expectedSeq()).isZero();
      assertThat(one(replica, 1200, limits, append("c", new Command.Producer("c", 0, 0))).code())
          .as("c takes b's room").isEqualTo(Outcome.Code.APPENDED);
      assertThat(one(replica, 1250, limits, append("b", new Command.Producer("b", 0, 0))).code())
          .as("b back, a and c active").isEqualTo(Outcome.Code.LIMIT_REACHED);
    }
    assertThat(snapshotBytes(restored, "r2")).as("both replicas ended identical").isEqualTo(snapshotBytes(g, "g2"));
  }

  /**
   * A group holds at most bucket-streams-max streams of one bucket (deleted streams that forks
   * still read count, removed ones free their room, snapshots restore the count) and the registry
   * at most buckets-max buckets; entries without limits bound neither.
   */
  @Test
  void streamsPerBucketAndBucketsAreBounded() throws Exception {
    Limits limits = new Limits(10, 1000, 2, 1);
    GroupState g = replica("buckets");
    StreamKey a = new StreamKey("b", "a");
    StreamKey b = new StreamKey("b", "b");
    StreamKey c = new StreamKey("b", "c");
    for (StreamKey k : List.of(a, b)) {
      assertThat(one(g, 1, limits, new Command.Create(k, "text/plain", -1, null, -1, false, new byte[0], 0, null)).code())
          .isEqualTo(Outcome.Code.CREATED);
    }
    Outcome full = one(g, 2, limits, new Command.Create(c, "text/plain", -1, null, -1, false, new byte[0], 0, null));
    assertThat(full.code()).isEqualTo(Outcome.Code.LIMIT_REACHED);
    assertThat(full.message()).contains("bucket-streams-max (2)");
    assertThat(one(g, 2, limits, new Command.Create(new StreamKey("other", "c"), "text/plain", -1, null, -1, false,
        new byte[0], 0, null)).code()).as("another bucket").isEqualTo(Outcome.Code.CREATED);
    assertThat(one(g, 3, limits, new Command.Create(a, "text/plain", -1, null, -1, false, new byte[0], 0, null)).code())
        .as("an identical re-create").isEqualTo(Outcome.Code.EXISTS);
    assertThat(one(g, 4, limits, new Command.Delete(a)).code()).isEqualTo(Outcome.Code.DELETED);

    GroupState restored = roundTrip(g, "buckets");
    for (GroupState replica : List.of(g, restored)) {
      assertThat(one(replica, 5, limits, new Command.Create(c, "text/plain", -1, null, -1, false, new byte[0], 0, null))
          .code()).isEqualTo(Outcome.Code.CREATED);
      assertThat(one(replica, 6, limits, new Command.Create(a, "text/plain", -1, null, -1, false, new byte[0], 0, null))
          .code()).isEqualTo(Outcome.Code.LIMIT_REACHED);
      assertThat(one(replica, 6, new Command.Create(a, "text/plain", -1, null, -1, false, new byte[0], 0, null)).code())
          .as("unstamped").isEqualTo(Outcome.Code.CREATED);
    }

    assertThat(one(g, 7, limits, new Command.CreateBucket(new StreamKey("x", ""))).code()).isEqualTo(Outcome.Code.BUCKET_CREATED);
    assertThat(one(g, 7, limits, new Command.CreateBucket(new StreamKey("y", ""))).code()).isEqualTo(Outcome.Code.LIMIT_REACHED);
    assertThat(one(g, 7, limits, new Command.CreateBucket(new StreamKey("x", ""))).code()).isEqualTo(Outcome.Code.BUCKET_EXISTS);
    assertThat(one(g, 8, limits, new Command.DeleteBucket(new StreamKey("x", ""))).code()).isEqualTo(Outcome.Code.BUCKET_DELETED);
    assertThat(one(g, 9, limits, new Command.CreateBucket(new StreamKey("y", ""))).code()).isEqualTo(Outcome.Code.BUCKET_CREATED);
  }

  /**
   * Entries written before limits existed (batch version 1) bound nothing and record no producer
   * time; producers restored without a time count as active when a stamped entry first needs room.
   */
  @Test
  void producersFromBeforeLimitsExpireOneIdlePeriodAfterTheFirstStampedEntryNeedingRoom() {
    GroupState g = replica("legacy");
    assertThat(one(g, 0, new Command.Create(S, "text/plain", -1, null, -1, false, new byte[0], 0, null)).code())
        .isEqualTo(Outcome.Code.CREATED);
    for (int i = 0; i < 5; i++) {
      assertThat(one(g, 10, append("x", new Command.Producer("old" + i, 0, 0))).code()).isEqualTo(Outcome.Code.APPENDED);
    }
    Limits limits = new Limits(5, 1000);
    assertThat(one(g, 1_000_000, limits, append("y", new Command.Producer("new", 0, 0))).code())
        .as("times unknown: taken as now, so none expired").isEqualTo(Outcome.Code.LIMIT_REACHED);
    assertThat(one(g, 1_001_000, limits, append("y", new Command.Producer("new", 0, 0))).code())
        .as("one idle period later").isEqualTo(Outcome.Code.APPENDED);
  }

  /** Feature levels are replicated state: recorded in apply, kept across a snapshot, replaced by a newer announcement. */
  @Test
  void featureLevelsAreRecordedAndSurviveASnapshot() throws Exception {
    GroupState g = replica("features");
    StreamKey registry = new StreamKey("", "");
    assertThat(one(g, 1, new Command.AnnounceFeatures(registry, "n1", 1)).code())
        .isEqualTo(Outcome.Code.FEATURES_RECORDED);
    one(g, 2, new Command.AnnounceFeatures(registry, "n2", 2));
    one(g, 3, new Command.AnnounceFeatures(registry, "n1", 2));
    assertThat(g.features()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("n1", 2, "n2", 2));
    assertThat(roundTrip(g, "features").features()).isEqualTo(g.features());
  }

  /** A second replica: a copy of {@code g}'s segments plus its snapshot, as a follower sent one would have. */
  private GroupState roundTrip(GroupState g, String name) throws Exception {
    g.store.sync();
    Path file = dir.resolve(name + ".snap");
    SnapshotCodec.write(g, g.store.end(), file);
    Path copy = Files.createDirectories(dir.resolve(name + "-copy"));
    try (var segments = Files.list(dir.resolve(name))) {
      for (Path seg : segments.toList()) {
        Files.copy(seg, copy.resolve(seg.getFileName()));
      }
    }
    GroupState restored = new GroupState(0, new SegmentStore(copy, 1 << 20, 0), new WatchRegistry());
    SnapshotCodec.read(file, restored);
    return restored;
  }

  private byte[] snapshotBytes(GroupState g, String name) throws Exception {
    g.store.sync();
    Path file = dir.resolve(name + ".snap");
    SnapshotCodec.write(g, g.store.end(), file);
    return Files.readAllBytes(file);
  }

  /**
   * The orphan sweep deletes unreferenced objects older than the grace; a publish naming an object
   * must therefore commit within the publish window of its upload, or be refused, on every replica
   * alike (the deadline travels in the command, the time in the entry). Entries written before the
   * deadline existed (types 9 and 14) still apply, without one.
   */
  @Test
  void publishesOfUploadsPastTheirDeadlineAreRefused() {
    GroupState g = replica("deadline");
    assertThat(one(g, 1, new Command.Create(S, "application/octet-stream", -1, null, -1, false, new byte[0], 0, null)).code())
        .isEqualTo(Outcome.Code.CREATED);
    assertThat(one(g, 2, new Command.Append(S, "application/octet-stream", new byte[100], 0, false, null, null)).code())
        .isEqualTo(Outcome.Code.APPENDED);
    long id = g.view(S).streamId();

    assertThat(one(g, 1001, new Command.ColdChunksPublished(S, id, 0, 40, 1000, true)).code()).as("stamped after the deadline")
        .isEqualTo(Outcome.Code.UPLOAD_EXPIRED);
    assertThat(g.view(S).cold().end()).isZero();
    assertThat(one(g, 1000, new Command.ColdChunksPublished(S, id, 0, 40, 1000, true)).code()).as("stamped at the deadline")
        .isEqualTo(Outcome.Code.COLD_PUBLISHED);
    assertThat(one(g, 5000, new Command.ColdChunksPublished(S, id, 0, 40, 1000, true)).code())
        .as("a late retry of a recorded chunk adds no reference: answered as before").isEqualTo(Outcome.Code.COLD_PUBLISHED);
    assertThat(g.view(S).cold().holds(0, 40)).isTrue();

    Wire.Out old = new Wire.Out(128).u8(CommandCodec.VERSION).i64(9_000_000).i32(1).u8(14);
    CommandCodec.key(old, S);
    old.i64(id).i64(40).i64(100);
    assertThat(g.apply(CommandCodec.decode(ByteBuffer.wrap(old.toByteArray()))).get(0).code())
        .as("a type-14 entry from before deadlines").isEqualTo(Outcome.Code.COLD_PUBLISHED);
    assertThat(g.view(S).cold().holds(40, 100)).isTrue();

    String key = "snapshots/g000/s" + String.format("%020d", id) + "/00000000000000000100-" + "ab".repeat(32) + ".blob";
    assertThat(one(g, 7001, new Command.PublishSnapshot(S, id, 100, "application/json", new byte[0], "sha256:" + "ab".repeat(32),
        null, key, 7000)).code()).as("a blob in the object store published too late").isEqualTo(Outcome.Code.UPLOAD_EXPIRED);
    assertThat(g.view(S).snapshot()).isNull();
    assertThat(one(g, 7001, new Command.PublishSnapshot(S, id, 100, "application/json", "{}".getBytes(), "sha256:x", null, null,
        7000)).code()).as("an inline blob needs no object: no deadline applies").isEqualTo(Outcome.Code.SNAPSHOT_PUBLISHED);
  }

  @Test
  void replicasApplyingTheSameEntriesEndIdentical() throws Exception {
    long seed = Long.getLong("seed", System.nanoTime());
    SplittableRandom r = new SplittableRandom(seed);
    GroupState a = replica("a");
    GroupState b = replica("b");
    List<StreamKey> keys = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      keys.add(new StreamKey("default", "s" + i));
    }
    for (int step = 0; step < 2000; step++) {
      List<Command> batch = new ArrayList<>();
      for (int k = r.nextInt(1, 6); k > 0; k--) {
        StreamKey key = keys.get(r.nextInt(keys.size()));
        batch.add(switch (r.nextInt(10)) {
          case 0 -> new Command.Create(key, "application/octet-stream", r.nextBoolean() ? 5 : -1, null, -1, false,
              new byte[r.nextInt(3)], 0, null);
          case 1 -> new Command.Delete(key);
          case 2 -> new Command.Append(key, "application/octet-stream", new byte[0], 0, true, null, null);
          default -> {
            byte[] data = new byte[r.nextInt(1, 3000)];
            r.nextBytes(data);
            Command.Producer p = r.nextBoolean() ? new Command.Producer("p" + r.nextInt(5), r.nextInt(2), r.nextInt(4)) : null;
            yield new Command.Append(key, "application/octet-stream", data, 0, false,
                r.nextInt(4) == 0 ? Integer.toString(r.nextInt(100)) : null, p);
          }
        });
      }
      // small producer bounds so that expiry and refusals happen (entries are 100 ms apart)
      byte[] entry = CommandCodec.encode(step * 100L, new Limits(3, 500), batch, 4096);
      List<Outcome> oa = a.apply(CommandCodec.decode(ByteBuffer.wrap(entry)));
      List<Outcome> ob = b.apply(CommandCodec.decode(ByteBuffer.wrap(entry)));
      assertThat(ob).as("step %d seed %d", step, seed).isEqualTo(oa);
    }
    a.store.sync();
    b.store.sync();
    Path sa = dir.resolve("a.snap");
    Path sb = dir.resolve("b.snap");
    SnapshotCodec.write(a, a.store.end(), sa);
    SnapshotCodec.write(b, b.store.end(), sb);
    assertThat(Files.readAllBytes(sb)).as("seed %d", seed).isEqualTo(Files.readAllBytes(sa));
    GroupState restored = new GroupState(0, new SegmentStore(dir.resolve("a"), 1 << 20, 0), new WatchRegistry());
    SnapshotCodec.read(sa, restored);
    Path sr = dir.resolve("r.snap");
    SnapshotCodec.write(restored, a.store.end(), sr);
    assertThat(Files.readAllBytes(sr)).as("snapshot round trip, seed %d", seed).isEqualTo(Files.readAllBytes(sa));
  }

  @Test
  void forgetsIndexEntriesOfTieredRecordsOnlyOnceTheirSegmentIsGone() throws Exception {
    GroupState g = new GroupState(0, new SegmentStore(dir.resolve("t"), 1 << 20, 0), new WatchRegistry());
    StreamKey tabled = new StreamKey("default", "tabled");
    StreamKey untabled = new StreamKey("default", "untabled");
    for (StreamKey k : List.of(tabled, untabled)) {
      assertThat(one(g, 1, new Command.Create(k, "application/octet-stream", -1, null, -1, false, new byte[0], 0, null)).code())
          .isEqualTo(Outcome.Code.CREATED);
    }
    for (int i = 0; i < 1500; i++) { // 3 MB in 1 MiB segments, the two streams' records interleaved
      for (StreamKey k : List.of(tabled, untabled)) {
        one(g, 2, new Command.Append(k, "application/octet-stream", new byte[1000], 0, false, null, null));
      }
    }
    long coldEnd = 1_200_000; // a record start of both (records are 1,000 bytes)
    for (StreamKey k : List.of(tabled, untabled)) {
      StreamView v = g.view(k);
      assertThat(one(g, 3, new Command.ColdChunksPublished(k, v.streamId(), 0, coldEnd, Long.MAX_VALUE, k == tabled)).code())
          .isEqualTo(Outcome.Code.COLD_PUBLISHED);
    }
    assertThat(g.view(tabled).index().start()).as("nothing deleted yet").isZero();

    g.store.sync();
    g.store.markSnapshotEnd(g.store.end());
    assertThat(g.store.dropBelow(g.hotLowWatermark(), 0)).as("segments below the cold end deleted").isPositive();
    long firstPosition = g.store.firstPosition();
    one(g, 4, new Command.Touch(tabled, g.view(tabled).streamId())); // any applied entry runs the trim pass

    StreamIndex.View kept = g.view(tabled).index();
    assertThat(kept.start()).as("forgot the records whose segment is gone").isPositive().isLessThanOrEqualTo(coldEnd);
    assertThat(kept.positions()[0]).isGreaterThanOrEqualTo(firstPosition);
    assertThat(kept.count()).isEqualTo(1500 - (int) (kept.start() / 1000));
    assertThat(g.view(untabled).index().start()).as("its chunk has no record-start table").isZero();

    Path written = dir.resolve("trimmed.snap");
    SnapshotCodec.write(g, g.store.end(), written);
    GroupState restored = new GroupState(0, new SegmentStore(dir.resolve("t"), 1 << 20, 0), new WatchRegistry());
    SnapshotCodec.read(written, restored);
    assertThat(restored.view(tabled).index().start()).isEqualTo(kept.start());
    assertThat(restored.view(tabled).index().count()).isEqualTo(kept.count());
    assertThat(restored.view(untabled).index().start()).isZero();
    Path again = dir.resolve("again.snap");
    SnapshotCodec.write(restored, g.store.end(), again);
    assertThat(Files.readAllBytes(again)).as("snapshot round trip").isEqualTo(Files.readAllBytes(written));
    restored.trimIndexes();
    assertThat(restored.view(untabled).index().start()).as("still not forgotten after a restart").isZero();
  }
}
