package io.tributary.service.subscription;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a pattern subscription links exactly the existing streams its pattern matches, each at its
 * tail (nothing pending), whether they sort before, inside or after other names sharing the
 * pattern's literal prefix; explicit links beyond {@code subscription-streams-max} are refused with
 * a reason, not dropped. Method: one node, streams around the prefix {@code orders/}, a
 * subscription {@code orders/*}, its streams as GET lists them; a node bounded to two links.
 */
class SubscriptionBackfillTest {
  @TempDir
  Path dir;

  @Test
  void aPatternLinksTheExistingMatchesAtTheirTails() throws Exception {
    try (LocalNode node = new LocalNode(dir, Map.of())) {
      for (String name : new String[] {"order", "orders", "orders/a", "orders/b/c", "orders/z", "ordersx/a", "p/q"}) {
        assertThat(node.send("PUT", "/v1/stream/" + name, "application/json", "{\"n\":1}").statusCode())
            .as(name).isEqualTo(201);
      }
      assertThat(node.send("PUT", "/v1/stream/__ds/subscriptions/backfill", "application/json",
          "{\"type\":\"pull-wake\",\"pattern\":\"orders/*\",\"wake_stream\":\"p/q\"}").statusCode()).isEqualTo(201);
      String body = node.send("GET", "/v1/stream/__ds/subscriptions/backfill", null, null).body();
      String tail = node.send("HEAD", "/v1/stream/orders/a", null, null).headers().firstValue("Stream-Next-Offset")
          .orElseThrow();
      assertThat(body).contains("{\"path\":\"orders/a\",\"link_type\":\"glob\",\"acked_offset\":\"" + tail + "\"}")
          .contains("\"path\":\"orders/z\"").doesNotContain("orders/b/c").doesNotContain("\"ordersx/a\"")
          .doesNotContain("\"path\":\"orders\"").doesNotContain("\"path\":\"order\"");
    }
  }

  @Test
  void explicitLinksBeyondTheBoundAreRefusedWithAReason() throws Exception {
    try (LocalNode node = new LocalNode(dir, Map.of("subscription-streams-max", "2"))) {
      String sub = "/v1/stream/__ds/subscriptions/bounded";
      var three = node.send("PUT", sub, "application/json",
          "{\"type\":\"pull-wake\",\"streams\":[\"a\",\"b\",\"c\"],\"wake_stream\":\"w\"}");
      assertThat(three.statusCode()).isEqualTo(400);
      assertThat(three.body()).contains("subscription-streams-max (2)");
      assertThat(node.send("PUT", sub, "application/json",
          "{\"type\":\"pull-wake\",\"streams\":[\"a\",\"b\"],\"wake_stream\":\"w\"}").statusCode()).isEqualTo(201);
      assertThat(node.send("POST", sub + "/streams", "application/json", "{\"streams\":[\"a\"]}").statusCode())
          .as("already linked: no new link").isEqualTo(204);
      var more = node.send("POST", sub + "/streams", "application/json", "{\"streams\":[\"c\"]}");
      assertThat(more.statusCode()).isEqualTo(400);
      assertThat(more.body()).contains("subscription-streams-max");
      assertThat(node.send("GET", sub, null, null).body()).doesNotContain("\"path\":\"c\"");
    }
  }
}
