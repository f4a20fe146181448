package io.tributary.testing;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault for the server-to-client direction of HTTP/1.1 connections through a {@link TcpProxy}:
 * the byte {@code bodyOffset} bytes into a response body is XORed with a mask, in the first
 * {@code responses} responses (over all connections of the proxy) whose body reaches that far;
 * everything else passes unchanged. Counting responses that reach the offset, not connections,
 * keeps short answers (a 503, a small range) from using up the budget; ending after a budget, not
 * flipping once per connection, is what lets a retry succeed: a client that drops a rejected
 * download's connection would meet a fresh flip on every new one.
 *
 * <pre>
 *   HTTP/1.1 200 OK ... Content-Length: L \r\n\r\n  [body byte 0 .. bodyOffset ^ mask .. L-1]  next response ...
 *   └──────────── head (passed) ─────────────┘      └──── one byte flipped if L > bodyOffset ────┘
 * </pre>
 *
 * <p>Each connection has its own {@link Connection} parser, which follows the responses on it by
 * their {@code Content-Length}; a head without one (chunked, an upgrade) makes it stop looking at
 * that connection. Threads: a {@link Connection} is used by one pump thread; the budget and the
 * count are shared atomics.
 */
public final class ResponseBodyFlip {
  private static final int HEAD_BYTES_MAX = 16 * 1024;
  private static final byte[] HEAD_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final long bodyOffset;
  private final int mask;
  private final AtomicInteger budget;
  private final AtomicLong flipped = new AtomicLong();

  /** Flips {@code bodyOffset} bytes into the first {@code responses} bodies that long, XOR {@code mask} (1..255). */
  public ResponseBodyFlip(int responses, long bodyOffset, int mask) {
    if (responses < 0 || bodyOffset < 0 || mask <= 0 || mask > 0xff) {
      throw new IllegalArgumentException("responses " + responses + ", body offset " + bodyOffset + ", mask " + mask);
    }
    this.budget = new AtomicInteger(responses);
    this.bodyOffset = bodyOffset;
    this.mask = mask;
  }

  /** Bytes flipped so far. */
  public long flipped() {
    return flipped.get();
  }

  /** Flips left in the budget. */
  public int remaining() {
    return Math.max(0, budget.get());
  }

  Connection connection() {
    return new Connection();
  }

  private boolean take() {
    return budget.getAndUpdate(b -> Math.max(0, b - 1)) > 0;
  }

  @Override
  public String toString() {
    return "flip XOR 0x" + Integer.toHexString(mask) + " at body byte " + bodyOffset + " (" + flipped.get()
        + " flipped, " + remaining() + " left)";
  }

  /** The responses on one connection, as their bytes pass. */
  final class Connection {
    private final byte[] head = new byte[HEAD_BYTES_MAX];
    private int headLength;
    private long bodyLeft; // bytes of the current body still to pass; -1 while reading a head
    private long bodyAt; // position in the current body of the next byte
    private boolean target; // the current body gets the flip
    private boolean opaque; // stopped following this connection

    private Connection() {
      bodyLeft = -1;
    }

    /** Looks at (and maybe changes) the next {@code n} bytes of the server-to-client stream. */
    void apply(byte[] buf, int n) {
      int i = 0;
      while (i < n && !opaque) {
        if (bodyLeft < 0) {
          i = readHead(buf, i, n);
        } else {
          int take = (int) Math.min(bodyLeft, n - i);
          if (target && bodyOffset >= bodyAt && bodyOffset < bodyAt + take) {
            int at = i + (int) (bodyOffset - bodyAt);
            buf[at] = (byte) (buf[at] ^ mask);
            flipped.incrementAndGet();
            target = false;
          }
          i += take;
          bodyAt += take;
          bodyLeft -= take;
          if (bodyLeft == 0) {
            bodyLeft = -1;
          }
        }
      }
    }

    /** Consumes head bytes from {@code i}; returns where the head (or the buffer) ends. */
    private int readHead(byte[] buf, int i, int n) {
      while (i < n) {
        if (headLength == head.length) {
          opaque = true;
          return n;
        }
        head[headLength++] = buf[i++];
        if (headLength >= HEAD_END.length && endsWithHeadEnd()) {
          startBody();
          return i;
        }
      }
      return i;
    }

    private boolean endsWithHeadEnd() {
      for (int k = 0; k < HEAD_END.length; k++) {
        if (head[headLength - HEAD_END.length + k] != HEAD_END[k]) {
          return false;
        }
      }
      return true;
    }

    private void startBody() {
      long length = -1;
      for (String line : new String(head, 0, headLength, StandardCharsets.US_ASCII).split("\r\n")) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(line.substring("content-length:".length()).trim());
        } else if (lower.startsWith("transfer-encoding:")) {
          length = -1;
          break;
        }
      }
      headLength = 0;
      if (length < 0) {
        opaque = true; // no length to follow the next response by: pass the rest unchanged
        return;
      }
      bodyAt = 0;
      bodyLeft = length;
      target = length > bodyOffset && take();
      if (length == 0) {
        bodyLeft = -1;
      }
    }
  }
}
