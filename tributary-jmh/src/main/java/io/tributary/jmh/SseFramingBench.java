package io.tributary.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.tributary.http.SseFraming;
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

/**
 * Framing one SSE data event per subscriber: a fan-out to N subscribers frames each event N
 * times. Kinds: a 256 B text event (the fan-out workload), 16 KiB of text in 64 lines, ten JSON
 * messages, 4 KiB of binary (base64). {@link #viaString} is the framing it replaced (decode the
 * payload to a String, split it, encode it back), kept here as the baseline.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SseFramingBench {
  @Param({"text256", "text16k", "json10", "binary4k"})
  String kind;

  private byte[] chunk;
  private boolean json;
  private boolean base64;

  @Setup
  public void setUp() {
    StringBuilder sb = new StringBuilder();
    switch (kind) {
      case "text256" -> sb.append("x".repeat(240)).append("{\"ts\":1234567}");
      case "text16k" -> {
        for (int i = 0; i < 64; i++) {
          sb.append("line ").append(i).append(' ').append("y".repeat(248)).append('\n');
        }
      }
      case "json10" -> {
        for (int i = 0; i < 10; i++) {
          sb.append("{\"id\":").append(i).append(",\"type\":\"update\",\"value\":{\"x\":1.5}}\n");
        }
        json = true;
      }
      case "binary4k" -> base64 = true;
      default -> throw new IllegalArgumentException(kind);
    }
    chunk = base64 ? new byte[4096] : sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  public int viaString() {
    StringBuilder sb = new StringBuilder(chunk.length + 128);
    sb.append("event: data\n");
    if (base64) {
      sb.append("data:").append(java.util.Base64.getEncoder().encodeToString(chunk)).append('\n');
    } else {
      String text = new String(json ? io.tributary.service.JsonMessages.toArray(chunk) : chunk, StandardCharsets.UTF_8);
      int lineStart = 0;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\r' || c == '\n') {
          sb.append("data:").append(text, lineStart, i).append('\n');
          if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
            i++;
          }
          lineStart = i + 1;
        }
      }
      sb.append("data:").append(text, lineStart, text.length()).append('\n');
    }
    sb.append('\n');
    ByteBuf b = io.netty.buffer.Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public int frame() {
    ByteBuf b = SseFraming.dataEvent(PooledByteBufAllocator.DEFAULT, chunk, json, base64);
    int n = b.readableBytes();
    b.release();
    return n;
  }
}
