package io.tributary.group.jraft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.common.StreamKey;
import io.tributary.state.ApplyFaults;
import io.tributary.state.Command;
import io.tributary.state.CommandCodec;
import io.tributary.state.ReplicaCore;
import io.tributary.storage.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a SOFAJRaft snapshot carries the whole replica, and loading one puts exactly the
 * snapshotted state in place: a follower that receives another node's snapshot gets its segments
 * (copied, verified), a node restarting on its own snapshot keeps its segment files, and a damaged
 * segment in a received snapshot is refused before anything of the replica changes.
 *
 * <p>Method: no engine, no sockets — {@link ReplicaCore}s driven with encoded entries as the FSM
 * caller drives them, and {@link SnapshotFiles} saving into and loading from a directory that
 * stands in for SOFAJRaft's snapshot directory (the copy SOFAJRaft's file service would make).
 */
class SnapshotFilesTest {
  private static final StreamKey S = new StreamKey(StreamKey.DEFAULT_BUCKET, "s");

  @TempDir
  Path dir;

  @Test
  void aFollowerInstallsTheLeadersSegmentsAndARestartKeepsItsOwn() throws IOException {
    ReplicaCore leader = core("leader");
    long index = writeEntries(leader, 40);
    Path written = dir.resolve("written");
    Files.createDirectories(written);
    List<String> listed = new ArrayList<>();
    new SnapshotFiles("n1").write(leader.prepareSnapshot(), written, listed::add);
    assertThat(listed).contains(SnapshotFiles.META, SnapshotFiles.ORIGIN).anyMatch(n -> n.endsWith(".seg"));
    Path shipped = copyOf(written, "shipped"); // what SOFAJRaft's file transfer leaves on the follower

    ReplicaCore follower = core("follower");
    new SnapshotFiles("n2").load(follower, shipped, 1, index);
    assertThat(follower.view(S).tail()).isEqualTo(leader.view(S).tail());
    assertThat(follower.appliedIndex()).isEqualTo(index);
    assertThat(segmentBytes(follower.segmentDir())).isEqualTo(segmentBytes(leader.segmentDir()));
    assertThat(follower.segmentDir().resolve(SnapshotFiles.INSTALLED)).hasContent(Long.toString(index));

    // the follower applies on from the snapshot like the leader did
    byte[] next = entry(99);
    leader.apply(1, index + 1, ByteBuffer.wrap(next));
    follower.apply(1, index + 1, ByteBuffer.wrap(next));
    assertThat(follower.view(S).tail()).isEqualTo(leader.view(S).tail());

    // a restart of the leader on its own snapshot: metadata only, the segment files stay
    Object before = Files.readAttributes(firstSegment(leader.segmentDir()), "unix:ino").get("ino");
    new SnapshotFiles("n1").load(leader, written, 1, index);
    assertThat(Files.readAttributes(firstSegment(leader.segmentDir()), "unix:ino").get("ino")).isEqualTo(before);
    assertThat(leader.appliedIndex()).isEqualTo(index);
    leader.closeStore();
    follower.closeStore();
  }

  @Test
  void aDamagedSegmentInAReceivedSnapshotIsRefusedAndChangesNothing() throws IOException {
    ReplicaCore leader = core("leader");
    long index = writeEntries(leader, 10);
    Path written = dir.resolve("written");
    Files.createDirectories(written);
    new SnapshotFiles("n1").write(leader.prepareSnapshot(), written, n -> true);
    Path shipped = copyOf(written, "shipped");
    Path seg = firstSegment(shipped);
    byte[] b = Files.readAllBytes(seg);
    b[b.length / 2] ^= 0x40;
    Files.write(seg, b);

    ReplicaCore follower = core("follower");
    writeEntries(follower, 3); // what the follower had before
    long tailBefore = follower.view(S).tail();
    byte[] segmentsBefore = segmentBytes(follower.segmentDir());
    assertThatThrownBy(() -> new SnapshotFiles("n2").load(follower, shipped, 1, index))
        .isInstanceOfAny(StorageException.class, IOException.class);
    assertThat(segmentBytes(follower.segmentDir())).isEqualTo(segmentsBefore);
    assertThat(follower.view(S).tail()).isEqualTo(tailBefore);
    leader.closeStore();
  }

  private ReplicaCore core(String name) throws IOException {
    ReplicaCore c = new ReplicaCore(0, dir.resolve(name).resolve("segments"), 1 << 20, 1 << 16, 0,
        f -> { throw new AssertionError("halt: " + f.describe()); }, ApplyFaults.none());
    c.load(null, "", -1, 0);
    return c;
  }

  /** Creates the stream and appends {@code n - 1} records; returns the last index. */
  private static long writeEntries(ReplicaCore c, int n) {
    c.apply(1, 1, ByteBuffer.wrap(CommandCodec.encode(1_000, List.of(new Command.Create(S, "text/plain", -1, null, -1,
        false, new byte[0], 0, null)), 64)));
    for (int i = 2; i <= n; i++) {
      c.apply(1, i, ByteBuffer.wrap(entry(i)));
    }
    return n;
  }

  private static byte[] entry(int i) {
    byte[] body = ("record " + i + " ").repeat(1 + i % 7).getBytes();
    return CommandCodec.encode(1_000 + i, List.of(new Command.Append(S, "text/plain", body, 0, false, null, null)), 64);
  }

  private Path copyOf(Path from, String name) throws IOException {
    Path to = dir.resolve(name);
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }

  private static Path firstSegment(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> p.toString().endsWith(".seg")).sorted().findFirst().orElseThrow();
    }
  }

  /** Every segment file's bytes, concatenated in name order. */
  private static byte[] segmentBytes(Path d) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (Stream<Path> s = Files.list(d)) {
      for (Path p : s.filter(p -> p.toString().endsWith(".seg")).sorted().toList()) {
        out.writeBytes(Files.readAllBytes(p));
      }
    }
    return out.toByteArray();
  }
}
