package io.tributary.http;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately dumb HTTP/1.1 client over a plain socket, for tests that must send bytes no real
 * client would (broken request lines, duplicated framing headers, truncated bodies). Every read has
 * a socket timeout, so a server that hangs fails the test instead of blocking it. Used by one test
 * thread per connection.
 */
final class RawHttp implements AutoCloseable {
  /** A parsed response; header names are lower-cased. */
  record Response(int status, Map<String, List<String>> headers, byte[] body) {
    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      Map<String, List<String>> shown = new LinkedHashMap<>(headers);
      shown.keySet().removeIf(k -> k.startsWith("access-control-") || k.equals("cross-origin-resource-policy"));
      String b = bodyText();
      return status + " " + shown + " body=" + escape(b.length() > 200 ? b.substring(0, 200) + "..." : b);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Connects with {@code timeoutMillis} as both connect and read timeout. */
  static RawHttp connect(int port, int timeoutMillis) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
    s.setSoTimeout(timeoutMillis);
    return new RawHttp(s);
  }

  /** One request on a fresh connection; reads one response (HEAD answers carry no body). */
  static Response exchange(int port, String request, int timeoutMillis) throws IOException {
    try (RawHttp c = connect(port, timeoutMillis)) {
      c.send(request.getBytes(StandardCharsets.ISO_8859_1));
      return c.read(request.startsWith("HEAD "));
    }
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Everything the server sends until it closes the connection. */
  byte[] readToEnd() throws IOException {
    return in.readAllBytes();
  }

  void halfClose() throws IOException {
    socket.shutdownOutput();
  }

  /** Makes {@link #close} send a TCP reset instead of a FIN. */
  void resetOnClose() throws IOException {
    socket.setSoLinger(true, 0);
  }

  void setTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  /**
   * Reads one response. Bodies are framed by Content-Length or chunked encoding, else by EOF.
   * Throws {@link EOFException} if the connection ends before a status line,
   * {@link SocketTimeoutException} if nothing arrives in time.
   */
  Response read(boolean headRequest) throws IOException {
    Response head = readHead();
    int status = head.status();
    if (headRequest || status / 100 == 1 || status == 204 || status == 304) {
      return head;
    }
    String cl = head.header("content-length");
    if (cl != null) {
      return new Response(status, head.headers(), in.readNBytes(Integer.parseInt(cl)));
    }
    if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
      return new Response(status, head.headers(), chunked());
    }
    return new Response(status, head.headers(), in.readAllBytes());
  }

  /** Reads a status line and headers only (for streaming answers such as SSE). */
  Response readHead() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new EOFException("connection closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x status line: " + escape(statusLine));
    }
    int status = Integer.parseInt(parts[1]);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String h = line(); h != null && !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(h.substring(colon + 1).trim());
    }
    return new Response(status, headers, new byte[0]);
  }

  /**
   * Waits for the server to end the connection: true on EOF or reset, false if the connection is
   * still open (or still sending) when the socket timeout passes.
   */
  boolean closedByServer() throws IOException {
    try {
      while (in.read() >= 0) {
        // drain whatever is left
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private byte[] chunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line();
      if (size == null) {
        throw new EOFException("connection closed inside a chunked body");
      }
      int n = Integer.parseInt(size.split(";", 2)[0].trim(), 16);
      if (n == 0) {
        while (true) {
          String trailer = line();
          if (trailer == null || trailer.isEmpty()) {
            return body.toByteArray();
          }
        }
      }
      body.write(in.readNBytes(n));
      line();
    }
  }

  /** One CRLF-terminated line, or null at EOF before any byte. */
  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return sb.isEmpty() ? null : sb.toString();
      }
      if (b == '\n') {
        int len = sb.length();
        return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
      }
      sb.append((char) b);
      if (sb.length() > 65536) {
        throw new IOException("response line longer than 64 KiB");
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** Printable form of raw protocol text: control bytes as \xNN, long text shortened. */
  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 300; i++) {
      char c = s.charAt(i);
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 0x20 || c >= 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return s.length() > 300 ? sb + "...(" + s.length() + " chars)" : sb.toString();
  }
}
