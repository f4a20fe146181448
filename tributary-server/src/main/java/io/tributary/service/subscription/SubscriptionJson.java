package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The JSON the subscription API answers with: a subscription, the JWKS, action URLs. Stateless. */
final class SubscriptionJson {
  /** Where subscription routes live on the client listener (the protocol's stream root plus {@code __ds}). */
  static final String ROOT = "/v1/stream/__ds";

  private SubscriptionJson() {}

  static ObjectNode describe(Subscription s, SigningKey key, String baseUrl) {
    ObjectNode o = Reply.JSON.objectNode();
    o.put("id", s.id);
    o.put("subscription_id", s.id);
    o.put("type", s.type);
    if (s.pattern != null) {
      o.put("pattern", s.pattern);
    }
    ArrayNode streams = o.putArray("streams");
    s.links.forEach((path, l) -> streams.addObject().put("path", path).put("link_type", l.explicit ? "explicit" : "glob")
        .put("acked_offset", l.acked));
    if (s.webhookUrl != null) {
      ObjectNode w = o.putObject("webhook");
      w.put("url", s.webhookUrl);
      if (key != null) {
        w.putObject("signing").put("alg", "ed25519").put("kid", key.kid()).put("jwks_url", baseUrl + ROOT + "/jwks.json");
      }
    }
    if (s.wakeStream != null) {
      o.put("wake_stream", s.wakeStream);
    }
    o.put("lease_ttl_ms", s.leaseTtlMillis);
    o.put("created_at", s.createdAt);
    o.put("status", "active");
    if (s.description != null) {
      o.put("description", s.description);
    }
    return o;
  }

  static ObjectNode jwks(java.util.List<SigningKey> published) {
    ObjectNode o = Reply.JSON.objectNode();
    ArrayNode keys = o.putArray("keys");
    for (SigningKey key : published) {
      keys.addObject().put("kty", "OKP").put("crv", "Ed25519").put("alg", "EdDSA").put("use", "sig")
          .put("kid", key.kid()).put("x", key.x());
    }
    return o;
  }

  /** {@code <base>/v1/stream/__ds/subscriptions/<id>/<action>}, on the origin the subscription was created through. */
  static String actionUrl(Subscription s, String action) {
    return s.baseUrl + ROOT + "/subscriptions/" + URLEncoder.encode(s.id, StandardCharsets.UTF_8).replace("+", "%20")
        + "/" + action;
  }
}
