package io.tributary.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads Server-Sent Events (the WHATWG event-stream format) from a response body: {@code event:}
 * and {@code data:} fields, a blank line ends an event, lines starting with {@code :} are comments
 * (the server's keep-alives). The event name loses one leading space as the format says
 * ({@code event: data}); a data value keeps it: Tributary writes {@code data:} with none, so a text
 * line that itself starts with a space survives byte for byte.
 *
 * <p>Threads: owned by the thread reading the tail; {@link #close} may come from any thread.
 */
final class SseEvents implements AutoCloseable {
  /** One event: its type ({@code message} when unnamed) and its data lines joined by {@code \n}. */
  record Event(String type, String data) {}

  private final InputStream in;
  private final BufferedReader reader;
  /** When bytes last arrived (keep-alive comments count): the tail's idle watchdog reads it. */
  private volatile long lastBytesNanos = System.nanoTime();

  SseEvents(InputStream in) {
    this.in = in;
    this.reader = new BufferedReader(new InputStreamReader(new java.io.FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        lastBytesNanos = System.nanoTime();
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        lastBytesNanos = System.nanoTime();
        return n;
      }
    }, StandardCharsets.UTF_8));
  }

  /** Nanoseconds since bytes last arrived on this response. */
  long idleNanos() {
    return System.nanoTime() - lastBytesNanos;
  }

  /** The next event, or null at the end of the response (an event cut off by the end is dropped). */
  Event next() throws IOException {
    String type = null;
    StringBuilder data = null;
    while (true) {
      String line = reader.readLine();
      if (line == null) {
        return null;
      }
      if (line.isEmpty()) {
        if (data != null || type != null) {
          return new Event(type == null ? "message" : type, data == null ? "" : data.toString());
        }
        continue;
      }
      if (line.charAt(0) == ':') {
        continue;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (field.equals("event")) {
        type = value.startsWith(" ") ? value.substring(1) : value;
      } else if (field.equals("data")) {
        data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      }
    }
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      // closing a response body we abandon: nothing to recover, the connection is discarded
    }
  }
}
