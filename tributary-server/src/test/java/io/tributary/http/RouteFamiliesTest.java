package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the four route families address one stream, and buckets can be created, listed (paged)
 * and deleted only when empty. Method: a real node in-process, plain HTTP requests.
 */
class RouteFamiliesTest {
  @TempDir
  static Path dir;
  static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, Map.of());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void allFamiliesAddressTheSameStream() throws Exception {
    assertThat(node.send("PUT", "/v1/stream/shared/one", "text/plain", "a").statusCode()).isEqualTo(201);
    assertThat(node.send("POST", "/ds/default/shared/one", "text/plain", "b").statusCode()).isEqualTo(204);
    assertThat(node.send("POST", "/default/shared/one", "text/plain", "c").statusCode()).isEqualTo(204);
    assertThat(node.send("GET", "/streams/shared/one?offset=-1", null, null).body()).isEqualTo("abc");
    assertThat(node.send("GET", "/v1/stream/shared/one?offset=-1", null, null).body()).isEqualTo("abc");
  }

  @Test
  void bucketsHaveALifecycle() throws Exception {
    assertThat(node.send("PUT", "/ds/nobucket/s", "text/plain", null).statusCode()).isEqualTo(404);
    assertThat(node.send("PUT", "/ds/photos", null, null).statusCode()).isEqualTo(201);
    assertThat(node.send("PUT", "/ds/photos", null, null).statusCode()).isEqualTo(200);
    for (int i = 0; i < 5; i++) {
      assertThat(node.send("PUT", "/ds/photos/s" + i, "text/plain", "x").statusCode()).isEqualTo(201);
    }
    var page1 = node.send("GET", "/ds/photos?limit=3", null, null);
    assertThat(page1.statusCode()).isEqualTo(200);
    assertThat(page1.body()).contains("\"s0\"", "\"s1\"", "\"s2\"").doesNotContain("\"s3\"").contains("\"next\":\"s2\"");
    var page2 = node.send("GET", "/ds/photos?limit=3&after=s2", null, null);
    assertThat(page2.body()).contains("\"s3\"", "\"s4\"").contains("\"next\":null");
    assertThat(node.send("GET", "/ds", null, null).body()).contains("\"photos\"", "\"default\"");
    assertThat(node.send("DELETE", "/ds/photos", null, null).statusCode()).isEqualTo(409);
    for (int i = 0; i < 5; i++) {
      assertThat(node.send("DELETE", "/photos/s" + i, null, null).statusCode()).isEqualTo(204);
    }
    assertThat(node.send("DELETE", "/ds/photos", null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("GET", "/ds/photos", null, null).statusCode()).isEqualTo(404);
    assertThat(node.send("PUT", "/ds/BAD!", null, null).statusCode()).isEqualTo(400);
    assertThat(node.send("PUT", "/ds/v1", null, null).statusCode()).isEqualTo(400);
  }
}
