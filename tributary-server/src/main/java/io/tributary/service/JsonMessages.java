package io.tributary.service;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * JSON mode framing. A body is validated and flattened one level (a top-level array contributes
 * its elements); each message is stored compactly re-serialized and terminated by '\n', which
 * compact JSON never contains, so message boundaries can be found in raw stream bytes.
 * Stateless; safe on any thread.
 */
public final class JsonMessages {
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(512).build())
      .build();

  private JsonMessages() {}

  /** Framed messages and their count. */
  public record Framed(byte[] bytes, int count) {}

  /**
   * Validates and frames a body. {@code allowEmptyArray} is true for PUT (where {@code []} means
   * "no messages") and false for POST (where it is a 400).
   */
  public static Framed frame(byte[] body, boolean allowEmptyArray) {
    if (body.length == 0) {
      return new Framed(body, 0);
    }
    requireUtf8(body);
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 16);
    int count = 0;
    try (JsonParser p = FACTORY.createParser(body)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new BadRequestException("body is not JSON (empty)");
      }
      if (first == JsonToken.START_ARRAY) {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          if (t == null) {
            throw new BadRequestException("invalid JSON: unterminated array");
          }
          writeValue(p, out);
          count++;
        }
        if (count == 0 && !allowEmptyArray) {
          throw new BadRequestException("empty JSON array: nothing to append");
        }
      } else {
        writeValue(p, out);
        count = 1;
      }
      if (p.nextToken() != null) {
        throw new BadRequestException("invalid JSON: trailing content after the value");
      }
    } catch (IOException e) {
      throw new BadRequestException("invalid JSON: " + firstLine(e.getMessage()));
    }
    return new Framed(out.toByteArray(), count);
  }

  /** Validates that a body is one JSON object and returns it compactly re-serialized. */
  public static String compactObject(byte[] body) {
    requireUtf8(body);
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
    try (JsonParser p = FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new BadRequestException("attributes must be a JSON object");
      }
      try (JsonGenerator g = FACTORY.createGenerator(out)) {
        g.copyCurrentStructure(p);
      }
      if (p.nextToken() != null) {
        throw new BadRequestException("invalid JSON: trailing content after the object");
      }
    } catch (IOException e) {
      throw new BadRequestException("invalid JSON: " + firstLine(e.getMessage()));
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * JSON text must be UTF-8 (RFC 8259 §8.1). Jackson's decoder tolerates overlong forms such as
   * {@code C0 AF} for '/', which would let a body smuggle characters past byte-level filters.
   */
  private static void requireUtf8(byte[] body) {
    try {
      java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(body));
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new BadRequestException("invalid JSON: body is not valid UTF-8");
    }
  }

  private static void writeValue(JsonParser p, ByteArrayOutputStream out) throws IOException {
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
      g.copyCurrentStructure(p);
    }
    out.write('\n');
  }

  /** Renders framed messages as one JSON array: {@code [m1,m2,...]}. */
  public static byte[] toArray(byte[] framed) {
    if (framed.length == 0) {
      return new byte[] {'[', ']'};
    }
    byte[] out = new byte[framed.length + 1];
    out[0] = '[';
    System.arraycopy(framed, 0, out, 1, framed.length);
    for (int i = 1; i < out.length - 1; i++) {
      if (out[i] == '\n') {
        out[i] = ',';
      }
    }
    out[out.length - 1] = ']';
    return out;
  }

  /** Length of the prefix holding whole messages (up to and including the last '\n'). */
  public static int wholeMessagesLength(byte[] framed, int len) {
    for (int i = len - 1; i >= 0; i--) {
      if (framed[i] == '\n') {
        return i + 1;
      }
    }
    return 0;
  }

  /** Number of whole (newline-terminated) messages in {@code framed}. */
  public static long count(byte[] framed) {
    long n = 0;
    for (byte b : framed) {
      if (b == '\n') {
        n++;
      }
    }
    return n;
  }

  /** Byte length of the first {@code n} messages, or -1 if there are fewer. */
  public static long prefixOfMessages(byte[] framed, long n) {
    long seen = 0;
    for (int i = 0; i < framed.length; i++) {
      if (framed[i] == '\n' && ++seen == n) {
        return i + 1;
      }
    }
    return -1;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "parse error";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
