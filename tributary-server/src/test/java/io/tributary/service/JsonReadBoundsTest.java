package io.tributary.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Offsets;
import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a catch-up read of a JSON stream whose next message is larger than one read chunk returns
 * that message whole without reading the rest of the stream into memory, and reading on from
 * there returns every message once, in order.
 *
 * <p>Method: one in-process node with 4 KiB read chunks. A 20 KiB message, then 2 MiB of small
 * messages. The first read (offset -1) must hold the large message first and stay within a few
 * times its size (before the fix it read to the tail: all 2 MiB); then follow Stream-Next-Offset
 * to the tail and compare every message. Then fork it 10,001 messages in (Stream-Fork-Sub-Offset,
 * resolved a chunk at a time) and read the fork back.
 */
class JsonReadBoundsTest {
  @TempDir
  Path dir;

  @Test
  void aMessageLargerThanTheReadChunkIsReturnedWholeWithoutReadingToTheTail() throws Exception {
    try (LocalNode node = new LocalNode(dir, Map.of("read-chunk-bytes-max", "4KiB"))) {
      String path = "/v1/stream/json-bounds";
      assertThat(node.send("PUT", path, "application/json", null).statusCode()).isEqualTo(201);
      List<String> sent = new ArrayList<>();
      String big = "\"" + "x".repeat(20 * 1024) + "\"";
      sent.add(big);
      assertThat(node.send("POST", path, "application/json", big).statusCode()).isIn(200, 204);
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < 40_000; i++) {
        String m = "{\"i\":" + i + ",\"pad\":\"" + "p".repeat(32) + "\"}";
        sent.add(m);
        batch.append(batch.isEmpty() ? "[" : ",").append(m);
        if (batch.length() > 200_000 || i == 39_999) {
          assertThat(node.send("POST", path, "application/json", batch.append(']').toString()).statusCode())
              .isIn(200, 204);
          batch.setLength(0);
        }
      }

      HttpResponse<String> first = node.send("GET", path + "?offset=-1", null, null);
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.body()).startsWith("[" + big);
      assertThat(first.body().length()).as("first read: the large message and not much more")
          .isLessThan(4 * big.length());

      List<String> received = new ArrayList<>(JsonArrays.elements(first.body()));
      String next = first.headers().firstValue("Stream-Next-Offset").orElseThrow();
      boolean upToDate = first.headers().firstValue("Stream-Up-To-Date").isPresent();
      while (!upToDate) {
        HttpResponse<String> r = node.send("GET", path + "?offset=" + next, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().length()).as("later reads stay near the chunk size").isLessThan(8 * 1024);
        received.addAll(JsonArrays.elements(r.body()));
        next = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
        upToDate = r.headers().firstValue("Stream-Up-To-Date").isPresent();
      }
      assertThat(received).containsExactlyElementsOf(sent);

      // a fork point given as a message count far past one chunk is resolved chunk by chunk
      String fork = "/v1/stream/json-bounds-fork";
      HttpResponse<String> f = node.send("PUT", fork, "application/json", null,
          "Stream-Forked-From", path, "Stream-Fork-Offset", Offsets.format(0),
          "Stream-Fork-Sub-Offset", "10001");
      assertThat(f.statusCode()).as(f.body()).isEqualTo(201);
      List<String> forked = new ArrayList<>();
      String at = "-1";
      for (boolean done = false; !done; ) {
        HttpResponse<String> r = node.send("GET", fork + "?offset=" + at, null, null);
        forked.addAll(JsonArrays.elements(r.body()));
        at = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
        done = r.headers().firstValue("Stream-Up-To-Date").isPresent();
      }
      assertThat(forked).containsExactlyElementsOf(sent.subList(0, 10_001));
      HttpResponse<String> past = node.send("PUT", "/v1/stream/json-bounds-fork2", "application/json", null,
          "Stream-Forked-From", path, "Stream-Fork-Offset", Offsets.format(0),
          "Stream-Fork-Sub-Offset", String.valueOf(sent.size() + 1));
      assertThat(past.statusCode()).as(past.body()).isEqualTo(400);
    }
  }

  /** Top-level elements of a JSON array of strings and flat objects (enough for this test). */
  static final class JsonArrays {
    static List<String> elements(String array) {
      List<String> out = new ArrayList<>();
      int depth = 0;
      boolean inString = false;
      int start = 1;
      for (int i = 1; i < array.length() - 1; i++) {
        char c = array.charAt(i);
        if (inString) {
          if (c == '\\') {
            i++;
          } else if (c == '"') {
            inString = false;
          }
        } else if (c == '"') {
          inString = true;
        } else if (c == '{' || c == '[') {
          depth++;
        } else if (c == '}' || c == ']') {
          depth--;
        } else if (c == ',' && depth == 0) {
          out.add(array.substring(start, i));
          start = i + 1;
        }
      }
      if (array.length() > 2) {
        out.add(array.substring(start, array.length() - 1));
      }
      return out;
    }
  }
}
