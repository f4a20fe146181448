package io.tributary.state;

import io.tributary.common.StreamKey;
import io.tributary.storage.SegmentStore;
import io.tributary.storage.StreamReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One replica's state machine as {@link ReplicaCore} runs it, without an engine: a
 * {@link GroupState} over its own {@link SegmentStore}, recovered through
 * {@link ReplicaCore#recover} (snapshot metadata, segments truncated to its end), applying
 * encoded entries as {@code applyTransaction} does and snapshotting in the order of
 * {@code takeSnapshot} (sync the segments, trim the indexes, write the metadata, mark the end).
 * The bridge from the deterministic simulation ({@code io.tributary.sim}) to the package-private
 * core. One thread.
 */
public final class SimulatedReplica implements AutoCloseable {
  private final GroupState state;
  /** Reused by {@link #metadata} (one thread). */
  private final ByteArrayOutputStream metadata = new ByteArrayOutputStream(1 << 16);

  private SimulatedReplica(GroupState state) {
    this.state = state;
  }

  /**
   * Opens the segments in {@code segmentDir} and recovers the state of {@code snapshotFile}
   * (null: none, the segments are reset and the whole log is to be re-applied).
   */
  public static SimulatedReplica recover(int group, Path segmentDir, long segmentBytesMax, Path snapshotFile,
      String snapshotName) throws IOException {
    SegmentStore store = new SegmentStore(segmentDir, segmentBytesMax, segmentBytesMax);
    GroupState s = new GroupState(group, store, new WatchRegistry(), new WatchRegistry(), ApplyFaults.none());
    return new SimulatedReplica(ReplicaCore.recover(s, snapshotFile, snapshotName));
  }

  /** Applies one committed entry; returns its outcomes encoded as in the Raft reply. */
  public byte[] apply(byte[] entry) {
    List<Outcome> outcomes = state.apply(CommandCodec.decode(ByteBuffer.wrap(entry)));
    return CommandCodec.encodeOutcomes(outcomes);
  }

  /** Writes a snapshot of the current state to {@code file} as a node does (capture, then write); returns its segment end. */
  public long snapshot(Path file) throws IOException {
    ReplicaCore.PreparedSnapshot p = ReplicaCore.prepare(state);
    p.write(file);
    return p.segmentEnd();
  }

  /** The snapshot bytes of the current state (written nowhere): equal on replicas that applied the same entries. */
  public byte[] metadata() {
    metadata.reset();
    try {
      SnapshotCodec.write(state, state.store.end(), metadata);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return metadata.toByteArray();
  }

  /** Keys of the live streams, in key order. */
  public List<StreamKey> keys() {
    return new ArrayList<>(state.byKey.keySet());
  }

  public StreamView view(StreamKey key) {
    return state.view(key);
  }

  /** The per-bucket stored bytes the apply thread keeps by deltas (for the bucket quota). */
  public long bucketStoredBytes(String bucket) {
    return state.bucketStoredBytes(bucket);
  }

  /** The per-bucket stream count the apply thread keeps (bucket-streams-max, the bucket quota). */
  public int bucketStreamCount(String bucket) {
    return state.bucketStreamCount(bucket);
  }

  /** Reads {@code [from, to)} of the stream {@code v} describes from this replica's segments. */
  public byte[] read(StreamView v, long from, long to) {
    return StreamReader.read(state.store, v.streamId(), v.index(), v.tail(), from, to, false);
  }

  /** A crash: the state in memory is gone; the segment files stay as the process left them. */
  @Override
  public void close() {
    state.store.close();
  }
}
