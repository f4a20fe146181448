package io.tributary.jmh;

import io.tributary.common.Offsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Offset formatting and parsing: done for every response header and every read request. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OffsetCodecBench {
  private long position = 123_456_789L;
  private final String formatted = Offsets.format(987_654_321L);

  @Benchmark
  public String format() {
    return Offsets.format(position++);
  }

  @Benchmark
  public long parse() {
    return Offsets.parse(formatted);
  }
}
