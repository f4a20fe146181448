package io.tributary.jmh;

import io.tributary.service.JsonMessages;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** JSON-mode append: validation and one-level array flattening of a POST body. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JsonFramingBench {
  /** Messages in the appended array (1 = a single object, not an array). */
  @Param({"1", "10", "100"})
  int messages;

  private byte[] body;

  @Setup
  public void setUp() {
    String one = "{\"id\":12345,\"type\":\"update\",\"path\":\"/a/b/c\",\"value\":{\"x\":1.5,\"tags\":[\"p\",\"q\"]}}";
    StringBuilder sb = new StringBuilder();
    if (messages == 1) {
      sb.append(one);
    } else {
      sb.append('[');
      for (int i = 0; i < messages; i++) {
        sb.append(i > 0 ? "," : "").append(one);
      }
      sb.append(']');
    }
    body = sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  public JsonMessages.Framed frame() {
    return JsonMessages.frame(body, false);
  }
}
