package io.tributary.extensions;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A parsed {@code multipart/mixed} response (RFC 2046), as a bootstrap returns it. Test support (also for the tiering tests). */
public record Multipart(int status, HttpResponse<byte[]> response, List<Part> parts) {

  /** One part: its Content-Type and body. */
  public record Part(String contentType, byte[] body) {}

  public String header(String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  public List<String> bodies() {
    return parts.stream().map(p -> new String(p.body(), StandardCharsets.UTF_8)).toList();
  }

  public static Multipart parse(HttpResponse<byte[]> r) {
    String ct = r.headers().firstValue("Content-Type").orElse("");
    if (r.statusCode() != 200 || !ct.startsWith("multipart/mixed")) {
      throw new AssertionError("not a multipart response: " + r.statusCode() + " " + ct + " "
          + new String(r.body(), StandardCharsets.UTF_8));
    }
    String boundary = ct.substring(ct.indexOf("boundary=") + "boundary=".length()).trim();
    byte[] body = r.body();
    byte[] delim = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
    List<Part> parts = new ArrayList<>();
    int at = indexOf(body, delim, 0);
    while (at >= 0) {
      int lineEnd = at + delim.length;
      if (lineEnd + 1 < body.length && body[lineEnd] == '-' && body[lineEnd + 1] == '-') {
        break;
      }
      int headersStart = lineEnd + 2;
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), headersStart);
      String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.US_ASCII);
      int contentStart = headersEnd + 4;
      int nextDelim = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII), contentStart);
      String partType = null;
      for (String line : headers.split("\r\n")) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:")) {
          partType = line.substring("content-type:".length()).trim();
        }
      }
      parts.add(new Part(partType, java.util.Arrays.copyOfRange(body, contentStart, nextDelim)));
      at = nextDelim + 2;
    }
    return new Multipart(r.statusCode(), r, parts);
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
