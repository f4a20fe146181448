package io.tributary.durability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a stream back over HTTP and compares it with its producer's ledger.
 *
 * <ul>
 *   <li>{@link #checkAfterCrash}: the stream holds exactly the acknowledged appends, in order,
 *       each once, optionally followed by the one append whose outcome was unknown at the kill
 *       (whole: never a prefix of it, never anything else). Returns whether that append is there.
 *   <li>{@link #checkExact}: the stream holds exactly the acknowledged appends; and for every ack
 *       that reported an end offset, a read from that offset starts with the next append's data
 *       (or is empty and up to date for the last one), so each append ends where its ack said.
 * </ul>
 *
 * Binary streams are compared byte for byte; JSON streams as lists of parsed messages (the
 * server re-serialises JSON, so bytes may differ while the values may not).
 *
 * <p>Threads: stateless apart from its client; call only while the writers are held off.
 */
final class StreamVerifier {
  private static final int MAX_CHUNKS = 1_000_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StreamClient client;
  private final String context;

  StreamVerifier(StreamClient client, String context) {
    this.client = client;
    this.context = context;
  }

  /** Returns true if the pending append is in the stream (whole), false if it is not. */
  boolean checkAfterCrash(String baseUrl, ProducerStream s, String when) throws IOException, InterruptedException {
    List<StreamClient.Chunk> chunks = client.readAll(baseUrl, s.name, MAX_CHUNKS);
    ProducerStream.Pending p = s.pending;
    if (s.kind == ProducerStream.Kind.BINARY) {
      byte[] actual = concat(chunks);
      byte[] acked = concatBodies(s.acked, null);
      if (Arrays.equals(actual, acked)) {
        return false;
      }
      if (p != null && p.attempts > 0 && Arrays.equals(actual, concatBodies(s.acked, p.body))) {
        return true;
      }
      throw new AssertionError(when + ": " + s + " holds " + actual.length + " bytes, acknowledged "
          + acked.length + (p == null ? "" : " (+ " + p.body.length + " of pending seq " + p.seq + ")")
          + "; " + describeBinaryMismatch(s, actual, p) + " [" + context + "]");
    }
    List<JsonNode> actual = messages(s, chunks, when);
    List<JsonNode> acked = expectedMessages(s.acked, null);
    if (actual.equals(acked)) {
      return false;
    }
    if (p != null && p.attempts > 0 && actual.equals(expectedMessages(s.acked, p.body))) {
      return true;
    }
    throw new AssertionError(when + ": " + s + " holds " + actual.size() + " messages, acknowledged "
        + acked.size() + (p == null ? "" : " (+ pending seq " + p.seq + ")") + "; "
        + describeJsonMismatch(actual, expectedMessages(s.acked, p == null ? null : p.body)) + " [" + context + "]");
  }

  /** Exactly the acknowledged appends; with {@code offsets}, also every acknowledged end offset. */
  void checkExact(String baseUrl, ProducerStream s, String when, boolean offsets)
      throws IOException, InterruptedException {
    assertThat(s.pending).as("%s: %s still has an append in flight [%s]", when, s, context).isNull();
    List<StreamClient.Chunk> chunks = client.readAll(baseUrl, s.name, MAX_CHUNKS);
    String tail = chunks.get(chunks.size() - 1).nextOffset();
    if (s.kind == ProducerStream.Kind.BINARY) {
      byte[] actual = concat(chunks);
      byte[] expected = concatBodies(s.acked, null);
      if (!Arrays.equals(actual, expected)) {
        throw new AssertionError(when + ": " + s + " holds " + actual.length + " bytes, acknowledged were "
            + expected.length + "; " + describeBinaryMismatch(s, actual, null) + " [" + context + "]");
      }
      if (offsets) {
        checkBinaryOffsets(baseUrl, s, expected, tail, when);
      }
    } else {
      List<JsonNode> actual = messages(s, chunks, when);
      List<JsonNode> expected = expectedMessages(s.acked, null);
      if (!actual.equals(expected)) {
        throw new AssertionError(when + ": " + s + " holds " + actual.size() + " messages, acknowledged were "
            + expected.size() + "; " + describeJsonMismatch(actual, expected) + " [" + context + "]");
      }
      if (offsets) {
        checkJsonOffsets(baseUrl, s, expected, tail, when);
      }
    }
    String last = s.acked.isEmpty() ? null : s.acked.get(s.acked.size() - 1).endOffset();
    if (last != null) {
      assertThat(tail).as("%s: %s tail vs the last ack's end offset [%s]", when, s.name, context).isEqualTo(last);
    }
  }

  private void checkBinaryOffsets(String baseUrl, ProducerStream s, byte[] expected, String tail, String when)
      throws IOException, InterruptedException {
    long end = 0;
    for (ProducerStream.Ack a : s.acked) {
      end += a.body().length;
      if (a.endOffset() == null) {
        continue;
      }
      assertThat(a.endOffset().compareTo(tail)).as("%s: %s seq %d end offset %s beyond the tail %s [%s]", when,
          s.name, a.seq(), a.endOffset(), tail, context).isLessThanOrEqualTo(0);
      StreamClient.Chunk c = client.read(baseUrl, s.name, a.endOffset());
      String what = when + ": " + s.name + " read from seq " + a.seq() + "'s end offset " + a.endOffset();
      assertThat(c.status()).as("%s: status [%s]", what, context).isEqualTo(200);
      int n = c.body().length;
      if (end == expected.length) {
        assertThat(n).as("%s: the last append must end at the tail [%s]", what, context).isZero();
        assertThat(c.upToDate()).as("%s: up to date [%s]", what, context).isTrue();
        continue;
      }
      assertThat(n).as("%s: data after it [%s]", what, context).isPositive();
      byte[] want = Arrays.copyOfRange(expected, (int) end, (int) Math.min(expected.length, end + n));
      if (!Arrays.equals(c.body(), want)) {
        throw new AssertionError(what + ": does not start with seq " + (a.seq() + 1) + " (" + n
            + " bytes read); the ack's offset is not where the append ended [" + context + "]");
      }
    }
  }

  private void checkJsonOffsets(String baseUrl, ProducerStream s, List<JsonNode> expected, String tail, String when)
      throws IOException, InterruptedException {
    int end = 0;
    for (ProducerStream.Ack a : s.acked) {
      end += parse(a.body()).size();
      if (a.endOffset() == null) {
        continue;
      }
      assertThat(a.endOffset().compareTo(tail)).as("%s: %s seq %d end offset %s beyond the tail %s [%s]", when,
          s.name, a.seq(), a.endOffset(), tail, context).isLessThanOrEqualTo(0);
      StreamClient.Chunk c = client.read(baseUrl, s.name, a.endOffset());
      String what = when + ": " + s.name + " read from seq " + a.seq() + "'s end offset " + a.endOffset();
      assertThat(c.status()).as("%s: status [%s]", what, context).isEqualTo(200);
      List<JsonNode> got = served(s, a.endOffset(), c, when);
      if (end == expected.size()) {
        assertThat(got).as("%s: the last append must end at the tail [%s]", what, context).isEmpty();
        assertThat(c.upToDate()).as("%s: up to date [%s]", what, context).isTrue();
        continue;
      }
      assertThat(got).as("%s: messages after it [%s]", what, context).isNotEmpty();
      List<JsonNode> want = expected.subList(end, Math.min(expected.size(), end + got.size()));
      if (!got.equals(want)) {
        throw new AssertionError(what + ": does not start with seq " + (a.seq() + 1) + "; "
            + describeJsonMismatch(got, want) + "; the ack's offset is not where the append ended [" + context + "]");
      }
    }
  }

  private static byte[] concat(List<StreamClient.Chunk> chunks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (StreamClient.Chunk c : chunks) {
      out.writeBytes(c.body());
    }
    return out.toByteArray();
  }

  private static byte[] concatBodies(List<ProducerStream.Ack> acked, byte[] extra) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ProducerStream.Ack a : acked) {
      out.writeBytes(a.body());
    }
    if (extra != null) {
      out.writeBytes(extra);
    }
    return out.toByteArray();
  }

  /** The messages of a JSON stream's read responses; unparsable data fails with where it was served. */
  private List<JsonNode> messages(ProducerStream s, List<StreamClient.Chunk> chunks, String when) {
    List<JsonNode> out = new ArrayList<>();
    String offset = "-1";
    for (StreamClient.Chunk c : chunks) {
      out.addAll(served(s, offset, c, when));
      offset = c.nextOffset();
    }
    return out;
  }

  private List<JsonNode> served(ProducerStream s, String offset, StreamClient.Chunk c, String when) {
    try {
      return parse(c.body());
    } catch (IOException e) {
      int column = e instanceof JsonProcessingException j && j.getLocation() != null
          ? j.getLocation().getColumnNr() : 1;
      int at = Math.max(0, Math.min(c.body().length, column - 1) - 16);
      throw new AssertionError(when + ": " + s + " served unparsable JSON for offset=" + offset + " ("
          + c.body().length + " bytes, next offset " + c.nextOffset() + "): " + firstLine(e.getMessage())
          + "; bytes from response position " + at + ": '" + printable(c.body(), at, 64) + "' [" + context + "]", e);
    }
  }

  private static String firstLine(String s) {
    int nl = s == null ? -1 : s.indexOf('\n');
    return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
  }

  private static List<JsonNode> expectedMessages(List<ProducerStream.Ack> acked, byte[] extra) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (ProducerStream.Ack a : acked) {
      out.addAll(parse(a.body()));
    }
    if (extra != null) {
      out.addAll(parse(extra));
    }
    return out;
  }

  /** A body (or a read's array) as the messages it stands for: a top-level array is flattened once. */
  private static List<JsonNode> parse(byte[] body) throws IOException {
    JsonNode n = JSON.readTree(body);
    List<JsonNode> out = new ArrayList<>();
    if (n.isArray()) {
      n.forEach(out::add);
    } else {
      out.add(n);
    }
    return out;
  }

  /** Where actual bytes part from the acknowledged ones, in terms of appends. */
  private static String describeBinaryMismatch(ProducerStream s, byte[] actual, ProducerStream.Pending p) {
    byte[] expected = concatBodies(s.acked, p == null ? null : p.body);
    int at = Arrays.mismatch(actual, expected);
    long start = 0;
    String inAppend = "after the last append";
    List<ProducerStream.Ack> all = new ArrayList<>(s.acked);
    if (p != null) {
      all.add(new ProducerStream.Ack(p.seq, p.body, "(pending)", p.attempts));
    }
    for (ProducerStream.Ack a : all) {
      if (at < start + a.body().length) {
        inAppend = "inside seq " + a.seq() + " (" + a.body().length + " bytes from stream byte " + start
            + ", end offset " + a.endOffset() + ", " + a.attempts() + " attempts)";
        break;
      }
      start += a.body().length;
    }
    int from = Math.max(0, at);
    String found = from < actual.length
        ? "found '" + printable(actual, from, 48) + "'" : "found the end of the stream";
    return "first difference at stream byte " + at + " " + inAppend + ": " + found;
  }

  private static String describeJsonMismatch(List<JsonNode> actual, List<JsonNode> expected) {
    int i = 0;
    while (i < actual.size() && i < expected.size() && actual.get(i).equals(expected.get(i))) {
      i++;
    }
    return "first difference at message " + i + ": expected " + summary(expected, i) + ", found " + summary(actual, i);
  }

  private static String summary(List<JsonNode> list, int i) {
    if (i >= list.size()) {
      return "nothing";
    }
    JsonNode n = list.get(i);
    return n.isObject() && n.has("seq")
        ? "{stream " + n.path("stream").asText() + ", seq " + n.path("seq").asLong() + ", part "
            + n.path("part").asInt() + " of " + n.path("of").asInt() + ", pad " + n.path("pad").asText().length() + "}"
        : printable(n.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, 64);
  }

  private static String printable(byte[] b, int from, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < b.length && i < from + max; i++) {
      int c = b[i] & 0xff;
      sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
    }
    return sb.toString();
  }
}
