package io.tributary.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.common.StreamKey;
import io.tributary.storage.SegmentGoneException;
import io.tributary.storage.SegmentStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: on a node that does not tier, whole segment files holding only garbage (a deleted stream,
 * bytes below a retention floor) are deleted, and nothing else: not a segment holding one live
 * record, not a segment past the end of the previous retained snapshot, not the last one; a fork
 * pin keeps the retention-trimmed bytes of its source; the remaining streams read back exactly.
 *
 * <p>Method: one group on 1 MiB segments; three streams written one after another, 1.5 MB each
 * in 1,000-byte records (so each spans two segments). Delete the first, move the second's
 * retention floor to 1,000,000; mark snapshot ends by hand as the state machine does, and call
 * {@link SegmentStore#reclaimBelow} with {@link GroupState#reclaimLowWatermark} as the reclaim
 * thread does.
 */
class ReclaimWatermarkTest {
  private static final int RECORD = 1000;
  private static final int RECORDS = 1500;

  @TempDir
  Path dir;

  private static Outcome one(GroupState g, long now, Command c) {
    byte[] entry = CommandCodec.encode(now, List.of(c), 64);
    return g.apply(CommandCodec.decode(ByteBuffer.wrap(entry))).get(0);
  }

  private static void write(GroupState g, StreamKey k) {
    assertThat(one(g, 1, new Command.Create(k, "application/octet-stream", -1, null, -1, false, new byte[0], 0, null))
        .code()).isEqualTo(Outcome.Code.CREATED);
    for (int i = 0; i < RECORDS; i++) {
      byte[] b = new byte[RECORD];
      java.util.Arrays.fill(b, (byte) (k.stream().hashCode() + i));
      one(g, 2, new Command.Append(k, "application/octet-stream", b, 0, false, null, null));
    }
  }

  /** Reads every record of {@code k} from offset {@code from} on and checks its bytes. */
  private static void readsBackFrom(GroupState g, StreamKey k, long from) {
    StreamView v = g.view(k);
    for (int i = v.index().locate(from); i < v.index().count(); i++) {
      int record = (int) v.index().offsets()[i] / RECORD;
      byte[] out = new byte[RECORD];
      g.store.read(v.index().positions()[i], v.streamId(), v.index().offsets()[i], RECORD, 0, out, 0, RECORD);
      byte[] want = new byte[RECORD];
      java.util.Arrays.fill(want, (byte) (k.stream().hashCode() + record));
      assertThat(out).as("%s record %d", k, record).isEqualTo(want);
    }
  }

  /** Publishes an application snapshot at {@code offset} (retention cannot pass the latest one), then moves the floor. */
  private static void retain(GroupState g, StreamKey k, long offset) {
    long id = g.view(k).streamId();
    assertThat(one(g, 3, new Command.PublishSnapshot(k, id, offset, "application/octet-stream", new byte[] {7},
        "sha256:x", null, null, Long.MAX_VALUE)).code()).isEqualTo(Outcome.Code.SNAPSHOT_PUBLISHED);
    assertThat(one(g, 3, new Command.SetRetention(k, id, offset)).code()).isEqualTo(Outcome.Code.RETENTION_SET);
  }

  @Test
  void deletesWholeSegmentsOfGarbageOnlyAndOnlyBehindTwoSnapshots() {
    GroupState g = new GroupState(0, new SegmentStore(dir.resolve("g"), 1 << 20, 0), new WatchRegistry());
    StreamKey deleted = new StreamKey("default", "deleted");
    StreamKey trimmed = new StreamKey("default", "trimmed");
    StreamKey live = new StreamKey("default", "live");
    write(g, deleted);
    write(g, trimmed);
    write(g, live);
    long trimmedFirst = g.view(trimmed).index().positions()[0];
    assertThat(one(g, 3, new Command.Delete(deleted)).code()).isEqualTo(Outcome.Code.DELETED);
    long floor = 1_000_000;
    retain(g, trimmed, floor);
    long floorPosition = g.view(trimmed).index().positions()[g.view(trimmed).index().locate(floor)];
    assertThat(g.reclaimLowWatermark()).as("the record holding the floor is the lowest still needed")
        .isEqualTo(floorPosition);
    assertThat(g.hotLowWatermark()).as("the tier still uploads bytes below a floor").isEqualTo(trimmedFirst);

    g.store.sync();
    g.store.markSnapshotEnd(g.store.end());
    assertThat(g.store.reclaimBelow(g.reclaimLowWatermark())).as("one snapshot lies past them, not two").isZero();
    one(g, 4, new Command.Touch(live, g.view(live).streamId()));
    g.store.markSnapshotEnd(g.store.end());
    long before = g.store.diskBytes();
    long dropped = g.store.reclaimBelow(g.reclaimLowWatermark());
    assertThat(dropped).as("the deleted stream's segments and the trimmed prefix's").isGreaterThan((long) RECORDS * (RECORD + SegmentStore.HEADER_BYTES)); // past the deleted stream: the floor counts
    assertThat(dir.resolve("g").resolve(SegmentStore.fileName(g.store.firstPosition()))).as("whole segments only")
        .exists();
    assertThat(dir.resolve("g").resolve(SegmentStore.fileName(0))).doesNotExist();
    assertThat(g.store.firstPosition()).isLessThanOrEqualTo(floorPosition);
    assertThat(g.store.diskBytes()).isEqualTo(before - dropped);

    readsBackFrom(g, trimmed, floor);
    readsBackFrom(g, live, 0);
    StreamView gone = g.view(trimmed);
    assertThatThrownBy(() -> g.store.read(gone.index().positions()[0], gone.streamId(), gone.index().offsets()[0], RECORD, 0,
        new byte[RECORD], 0, RECORD)).as("a record below the floor is gone, as after tiering").isInstanceOf(SegmentGoneException.class);
    one(g, 5, new Command.Touch(live, g.view(live).streamId())); // the next entry runs the trim pass: no error
    readsBackFrom(g, live, 0);

    g.store.reclaimBelow(Long.MAX_VALUE); // as if everything were garbage
    assertThat(g.store.oldestSegmentEnd()).as("the last segment stays").isEqualTo(-1);
    one(g, 6, new Command.Touch(live, g.view(live).streamId()));
    g.store.reclaimBelow(Long.MAX_VALUE);
    assertThat(g.store.end()).as("and the store still takes records after it").isGreaterThan(g.store.firstPosition());
  }

  @Test
  void aForkPinKeepsTheBytesBelowItsSourcesFloor() {
    GroupState g = new GroupState(0, new SegmentStore(dir.resolve("f"), 1 << 20, 0), new WatchRegistry());
    StreamKey source = new StreamKey("default", "source");
    write(g, source);
    long id = g.view(source).streamId();
    retain(g, source, 1_000_000);
    long unpinned = g.reclaimLowWatermark();
    assertThat(unpinned).isPositive();
    g.byId.get(id).pins.put("pin-1", new StreamKey("default", "fork")); // as a fork's creation records it
    g.byId.get(id).publish();
    assertThat(g.reclaimLowWatermark()).as("a fork reads its source from the start").isEqualTo(
        g.view(source).index().positions()[0]);
  }

  /**
   * A damaged newest snapshot falls back to the previous one: recovery truncates the segments to
   * its end and re-applies the log after it. After reclamation that must still find every
   * segment it needs and end with the same bytes: drops stop at the previous snapshot's end.
   */
  @Test
  void aFallbackToThePreviousSnapshotRecoversAfterReclamation() throws Exception {
    Path segs = dir.resolve("fb");
    GroupState g = new GroupState(0, new SegmentStore(segs, 1 << 20, 0), new WatchRegistry());
    StreamKey deleted = new StreamKey("default", "deleted");
    StreamKey live = new StreamKey("default", "live");
    write(g, deleted);
    assertThat(one(g, 3, new Command.Delete(deleted)).code()).isEqualTo(Outcome.Code.DELETED);
    g.store.sync();
    Path older = dir.resolve("snapshot.1_100");
    SnapshotCodec.write(g, g.store.end(), older);
    g.store.markSnapshotEnd(g.store.end());
    List<byte[]> after = new java.util.ArrayList<>(); // the log after the older snapshot
    after.add(CommandCodec.encode(4, List.of(new Command.Create(live, "application/octet-stream", -1, null, -1, false,
        new byte[0], 0, null)), 64));
    for (int i = 0; i < RECORDS; i++) {
      byte[] b = new byte[RECORD];
      java.util.Arrays.fill(b, (byte) (live.stream().hashCode() + i));
      after.add(CommandCodec.encode(5, List.of(new Command.Append(live, "application/octet-stream", b, 0, false, null,
          null)), 64));
    }
    for (byte[] e : after) {
      g.apply(CommandCodec.decode(ByteBuffer.wrap(e)));
    }
    g.store.sync();
    Path newer = dir.resolve("snapshot.1_2000");
    SnapshotCodec.write(g, g.store.end(), newer);
    g.store.markSnapshotEnd(g.store.end());
    assertThat(g.store.previousSnapshotEnd()).isEqualTo(SnapshotCodec.segmentEnd(older));
    long olderEnd = g.store.previousSnapshotEnd();
    assertThat(g.store.reclaimBelow(g.reclaimLowWatermark())).as("the deleted stream's whole segments").isPositive();
    assertThat(g.store.firstPosition()).isLessThanOrEqualTo(olderEnd);
    long end = g.store.end();
    g.store.close();

    // the newest snapshot is damaged: recover from the older one and re-apply the log after it
    GroupState fallback = ReplicaCore.recover(new GroupState(0, new SegmentStore(segs, 1 << 20, 0),
        new WatchRegistry()), older, "1_100");
    for (byte[] e : after) {
      fallback.apply(CommandCodec.decode(ByteBuffer.wrap(e)));
    }
    fallback.store.publish();
    assertThat(fallback.store.end()).isEqualTo(end);
    readsBackFrom(fallback, live, 0);
    fallback.store.close();

  }
}
