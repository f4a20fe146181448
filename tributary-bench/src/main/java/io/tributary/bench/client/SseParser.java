package io.tributary.bench.client;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Incremental Server-Sent Events parser for the Durable Streams event types: {@code data} events
 * hand each {@code data:} line to the listener as it arrives (no copy, no String), {@code control}
 * events are collected and handed over as one JSON string when the blank line ends them.
 * Comments ({@code :keep-alive}) and other fields are ignored. Owned by one event loop.
 */
public final class SseParser implements LineSplitter.Sink {
  /** Receives parsed events; byte ranges are valid only during the call. */
  public interface Listener {
    void dataLine(ByteBuf buf, int from, int length);

    void control(String json);
  }

  private enum Event { NONE, DATA, CONTROL, OTHER }

  private final LineSplitter lines = new LineSplitter();
  private final Listener listener;
  private final StringBuilder controlJson = new StringBuilder();
  private Event event = Event.NONE;

  public SseParser(Listener listener) {
    this.listener = listener;
  }

  public void feed(ByteBuf content) {
    lines.feed(content, this);
  }

  /** A new response starts: forget any half-read event. */
  public void reset() {
    lines.reset();
    controlJson.setLength(0);
    event = Event.NONE;
  }

  @Override
  public void line(ByteBuf buf, int from, int length) {
    if (length == 0) {
      if (event == Event.CONTROL) {
        listener.control(controlJson.toString());
      }
      controlJson.setLength(0);
      event = Event.NONE;
      return;
    }
    if (startsWith(buf, from, length, "data:")) {
      int skip = 5;
      if (event == Event.DATA) {
        listener.dataLine(buf, from + skip, length - skip);
      } else if (event == Event.CONTROL) {
        controlJson.append(buf.toString(from + skip, length - skip, StandardCharsets.UTF_8));
      }
    } else if (startsWith(buf, from, length, "event:")) {
      String name = buf.toString(from + 6, length - 6, StandardCharsets.US_ASCII).trim();
      event = switch (name) {
        case "data" -> Event.DATA;
        case "control" -> Event.CONTROL;
        default -> Event.OTHER;
      };
    }
  }

  private static boolean startsWith(ByteBuf buf, int from, int length, String prefix) {
    if (length < prefix.length()) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (buf.getByte(from + i) != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The string value of a top-level field of a flat JSON object, or null (no JSON library on the hot path). */
  public static String stringField(String json, String name) {
    String key = "\"" + name + "\":\"";
    int at = json.indexOf(key);
    if (at < 0) {
      return null;
    }
    int start = at + key.length();
    int end = json.indexOf('"', start);
    return end < 0 ? null : json.substring(start, end);
  }

  /** True if a top-level boolean field is {@code true}. */
  public static boolean trueField(String json, String name) {
    return json.contains("\"" + name + "\":true");
  }
}
