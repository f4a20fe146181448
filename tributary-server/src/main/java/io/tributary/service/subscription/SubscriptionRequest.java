package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * A validated {@code PUT …/subscriptions/{id}} body, and the hash of its normalized configuration
 * (a repeated PUT with the same configuration confirms, 200; a different one conflicts, 409).
 * {@code problem} is non-null when the body is refused. Immutable.
 */
record SubscriptionRequest(Reply problem, String type, String pattern, List<String> streams, String webhookUrl,
    String wakeStream, long leaseTtlMillis, String description, String hash) {

  static final int DESCRIPTION_CHARS_MAX = 1024;

  private static SubscriptionRequest refused(Reply r) {
    return new SubscriptionRequest(r, null, null, List.of(), null, null, 0, null, null);
  }

  static SubscriptionRequest parse(JsonNode b, WebhookTargets targets) {
    if (b == null || !b.isObject()) {
      return refused(Reply.invalid("body must be a JSON object"));
    }
    String type = b.path("type").asText("");
    if (!type.equals(Subscription.WEBHOOK) && !type.equals(Subscription.PULL_WAKE)) {
      return refused(Reply.invalid("type must be webhook or pull-wake"));
    }
    String pattern = null;
    if (b.hasNonNull("pattern")) {
      pattern = b.get("pattern").asText();
      String why = b.get("pattern").isTextual() ? Glob.problem(pattern) : "pattern must be a string";
      if (why != null) {
        return refused(Reply.invalid(why));
      }
    }
    TreeSet<String> streams = new TreeSet<>();
    if (b.hasNonNull("streams")) {
      if (!b.get("streams").isArray()) {
        return refused(Reply.invalid("streams must be an array of stream paths"));
      }
      for (JsonNode p : b.get("streams")) {
        String why = pathProblem(p);
        if (why != null) {
          return refused(Reply.invalid(why));
        }
        streams.add(p.asText());
      }
    }
    if (pattern == null && streams.isEmpty()) {
      return refused(Reply.invalid("at least one of pattern and streams is required"));
    }
    String url = null;
    String wakeStream = null;
    if (type.equals(Subscription.WEBHOOK)) {
      if (!b.path("webhook").path("url").isTextual()) {
        return refused(Reply.invalid("webhook subscriptions require webhook.url"));
      }
      url = b.path("webhook").path("url").asText();
      String why = targets.problem(url);
      if (why != null) {
        return refused(Reply.error(400, "WEBHOOK_URL_REJECTED", why));
      }
    } else {
      String why = pathProblem(b.path("wake_stream"));
      if (why != null) {
        return refused(Reply.invalid("pull-wake subscriptions require wake_stream: " + why));
      }
      wakeStream = b.path("wake_stream").asText();
    }
    long lease = Subscriptions.DEFAULT_LEASE_TTL_MILLIS;
    if (b.hasNonNull("lease_ttl_ms")) {
      JsonNode l = b.get("lease_ttl_ms");
      if (!l.canConvertToLong() || l.asLong() < Subscriptions.LEASE_TTL_MIN_MILLIS
          || l.asLong() > Subscriptions.LEASE_TTL_MAX_MILLIS) {
        return refused(Reply.invalid("lease_ttl_ms must be an integer from " + Subscriptions.LEASE_TTL_MIN_MILLIS
            + " to " + Subscriptions.LEASE_TTL_MAX_MILLIS));
      }
      lease = l.asLong();
    }
    String description = b.hasNonNull("description") ? b.get("description").asText() : null;
    if (description != null && description.length() > DESCRIPTION_CHARS_MAX) {
      return refused(Reply.invalid("description is longer than " + DESCRIPTION_CHARS_MAX + " characters"));
    }
    ObjectNode canonical = Reply.JSON.objectNode();
    canonical.put("type", type);
    canonical.put("pattern", pattern);
    streams.forEach(canonical.putArray("streams")::add);
    canonical.put("webhook", url);
    canonical.put("wake_stream", wakeStream);
    canonical.put("lease_ttl_ms", lease);
    canonical.put("description", description);
    return new SubscriptionRequest(null, type, pattern, List.copyOf(streams), url, wakeStream, lease, description,
        sha256(canonical.toString()));
  }

  /** The create event of this configuration (links are added by the caller). */
  ObjectNode event(String id, String baseUrl, long nowMillis, String secret) {
    ObjectNode e = Reply.JSON.objectNode();
    e.put("ev", "create");
    e.put("sub", id);
    e.put("type", type);
    e.put("pattern", pattern);
    e.put("webhook_url", webhookUrl);
    e.put("wake_stream", wakeStream);
    e.put("lease_ttl_ms", leaseTtlMillis);
    e.put("description", description);
    e.put("created_at", Instant.ofEpochMilli(nowMillis).toString());
    e.put("hash", hash);
    e.put("secret", secret);
    e.put("base", baseUrl);
    return e;
  }

  /** Null when {@code p} names a stream under the stream root a subscription may link, else why not. */
  static String pathProblem(JsonNode p) {
    if (p == null || !p.isTextual()) {
      return "stream paths are strings";
    }
    String s = p.asText();
    if (s.isEmpty() || s.length() > 1024 || s.startsWith("/") || s.contains("//") || s.endsWith("/")) {
      return "stream path '" + s + "' must have 1 to 1024 characters and no empty segment";
    }
    return reserved(s) ? "stream path '" + s + "' is reserved" : null;
  }

  /** The subscription API's own namespace: never a stream a subscription can watch. */
  static boolean reserved(String path) {
    return path.equals("__ds") || path.startsWith("__ds/");
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
