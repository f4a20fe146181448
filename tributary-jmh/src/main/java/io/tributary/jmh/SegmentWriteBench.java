package io.tributary.jmh;

import io.tributary.storage.SegmentStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Applying an append to a group's data segments: header, CRC32C, positional write (page cache, no
 * fsync: the Raft log is the durable copy), tail-cache copy, publish.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SegmentWriteBench {
  @Param({"256", "4096"})
  int payloadBytes;

  private Path dir;
  private SegmentStore store;
  private byte[] payload;
  private long streamOffset;

  @Setup(Level.Iteration)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("tributary-jmh-segments");
    store = new SegmentStore(dir, 64L << 20, 4L << 20);
    payload = new byte[payloadBytes];
    streamOffset = 0;
  }

  @TearDown(Level.Iteration)
  public void tearDown() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public long appendAndPublish() {
    long pos = store.append(7, streamOffset, payload, 0, payload.length);
    streamOffset += payload.length;
    store.publish();
    return pos;
  }
}
