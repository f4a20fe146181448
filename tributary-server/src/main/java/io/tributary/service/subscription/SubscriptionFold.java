package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The subscriptions as the subscription log's events, applied in log order, make them. Every node
 * folds the same events into the same state, so each decision that must be the same everywhere
 * (which of two claims wins, whether an acknowledgement is fenced, which generation a wake has) is
 * taken here, from the event alone: nothing here reads a clock, a stream tail or a random source.
 * Events carry what the node that appended them observed (tails, times, new secrets and keys).
 * Engine thread only.
 */
final class SubscriptionFold {
  private final Map<String, Subscription> subs = new LinkedHashMap<>();
  private final int subscriptionsMax;
  private final int streamsMax;
  private SigningKey key;

  SubscriptionFold(int subscriptionsMax, int streamsMax) {
    this.subscriptionsMax = subscriptionsMax;
    this.streamsMax = streamsMax;
  }

  Subscription get(String id) {
    return subs.get(id);
  }

  Map<String, Subscription> all() {
    return Collections.unmodifiableMap(subs);
  }

  /** The signing key, or null before the first subscription made one. */
  SigningKey key() {
    return key;
  }

  /** Applies one event; returns its outcome (what the node that appended it answers its client). */
  Reply apply(JsonNode e) {
    String id = e.path("sub").asText();
    Subscription s = subs.get(id);
    return switch (e.path("ev").asText()) {
      case "create" -> create(e, s);
      case "delete" -> {
        if (s == null) {
          yield Reply.notFound();
        }
        subs.remove(id);
        yield Reply.ok(204);
      }
      case "link" -> s == null ? Reply.notFound() : link(s, e);
      case "unlink" -> {
        if (s == null) {
          yield Reply.notFound();
        }
        Subscription.Link l = s.links.get(e.path("path").asText());
        if (l != null) {
          if (e.path("explicit").asBoolean()) {
            l.explicit = false;
          } else {
            l.glob = false;
          }
          if (!l.explicit && !l.glob) {
            s.links.remove(e.path("path").asText());
          }
        }
        yield Reply.ok(204);
      }
      case "reset" -> {
        Subscription.Link l = s == null ? null : s.links.get(e.path("path").asText());
        if (l != null) {
          l.acked = "-1";
        }
        yield Reply.ok(204);
      }
      case "wake" -> {
        if (s != null && s.wakeId == null && e.path("generation").asLong() == s.generation + 1) {
          startWake(s, e.path("generation").asLong(), e);
        }
        yield Reply.ok(204);
      }
      case "ack" -> s == null ? Reply.notFound() : ack(s, e);
      case "auto_done" -> {
        if (s != null && current(s, e.path("wake_id").asText(), e.path("generation").asLong())) {
          s.wakeTails.forEach((path, tail) -> {
            Subscription.Link l = s.links.get(path);
            if (l != null && tail.compareTo(l.acked) > 0) {
              l.acked = tail;
            }
          });
          s.endWake();
        }
        yield Reply.ok(204);
      }
      case "claim" -> s == null ? Reply.notFound() : claim(s, e);
      case "release" -> {
        if (s == null) {
          yield Reply.notFound();
        }
        if (!tokenCurrent(s, e)) {
          yield Reply.fenced();
        }
        s.endWake();
        yield Reply.ok(204);
      }
      case "expire" -> {
        if (s != null && s.wakeId != null && e.path("generation").asLong() == s.generation) {
          s.endWake();
        }
        yield Reply.ok(204);
      }
      default -> throw new IllegalStateException("unknown subscription event '" + e.path("ev").asText() + "'");
    };
  }

  private Reply create(JsonNode e, Subscription existing) {
    if (key == null && e.has("key")) {
      key = SigningKey.fromStored(e.path("key").path("pkcs8").asText(), e.path("key").path("x").asText());
    }
    if (existing != null) {
      return existing.configHash.equals(e.path("hash").asText()) ? Reply.ok(200)
          : Reply.error(409, "SUBSCRIPTION_ALREADY_EXISTS", "Subscription already exists with different configuration");
    }
    if (subs.size() >= subscriptionsMax) {
      return Reply.error(429, "TOO_MANY_SUBSCRIPTIONS", "this server holds subscriptions-max (" + subscriptionsMax
          + ") subscriptions; delete some first");
    }
    Subscription s = new Subscription(e.path("sub").asText(), e.path("type").asText(), text(e, "pattern"),
        text(e, "webhook_url"), text(e, "wake_stream"), e.path("lease_ttl_ms").asLong(), text(e, "description"),
        e.path("created_at").asText(), e.path("hash").asText(), e.path("secret").asText(), e.path("base").asText());
    subs.put(s.id, s);
    link(s, e);
    return Reply.ok(201);
  }

  private Reply link(Subscription s, JsonNode e) {
    for (JsonNode l : e.path("links")) {
      String path = l.path("path").asText();
      if (s.links.containsKey(path) || s.links.size() < streamsMax) {
        s.link(path, l.path("explicit").asBoolean(), l.path("acked").asText());
      }
    }
    return Reply.ok(204);
  }

  /** Opens wake {@code generation} with the event's wake id and the tails it was issued for. */
  private static void startWake(Subscription s, long generation, JsonNode e) {
    s.generation = generation;
    s.wakeId = e.path("wake_id").asText();
    Map<String, String> tails = new HashMap<>();
    e.path("tails").properties().forEach(t -> tails.put(t.getKey(), t.getValue().asText()));
    s.wakeTails = tails;
    s.delivered = false;
    s.leaseRenewed = s.webhook(); // a webhook's lease runs from its wake; a pull-wake's from its claim
  }

  private Reply ack(Subscription s, JsonNode e) {
    if (!tokenCurrent(s, e)) {
      return Reply.fenced();
    }
    for (JsonNode a : e.path("acks")) {
      Subscription.Link l = s.links.get(a.path("stream").asText());
      String offset = a.path("offset").asText();
      if (l == null) {
        return Reply.error(409, "INVALID_OFFSET", "Ack references an unknown subscription stream");
      }
      if (offset.equals("-1")) {
        return Reply.error(409, "INVALID_OFFSET", "Ack offset must not be -1");
      }
      if (offset.compareTo(l.acked) < 0) {
        return Reply.error(409, "INVALID_OFFSET", "Ack offset regresses the committed cursor");
      }
    }
    for (JsonNode a : e.path("acks")) {
      s.links.get(a.path("stream").asText()).acked = a.path("offset").asText();
    }
    if (e.path("done").asBoolean()) {
      s.endWake();
    } else {
      s.leaseRenewed = true;
    }
    return Reply.ok(200);
  }

  private static Reply claim(Subscription s, JsonNode e) {
    if (!s.type.equals(Subscription.PULL_WAKE)) {
      return Reply.invalid("Subscription is not pull-wake");
    }
    if (s.holder != null) {
      Reply r = Reply.error(409, "ALREADY_CLAIMED", "the current wake is claimed");
      r.errorObject().put("current_holder", s.holder);
      r.errorObject().put("generation", s.generation);
      return r;
    }
    if (s.wakeId == null) {
      if (!e.has("tails")) {
        return Reply.error(409, "NO_PENDING_WORK", "Subscription has no pending work");
      }
      startWake(s, s.generation + 1, e);
    }
    s.holder = e.path("worker").asText();
    s.delivered = true; // the worker has it: no wake event to append
    s.leaseRenewed = true;
    return Reply.ok(200);
  }

  /** The event's wake id and generation, and those its token was issued for, are the current wake's. */
  private static boolean tokenCurrent(Subscription s, JsonNode e) {
    return current(s, e.path("wake_id").asText(), e.path("generation").asLong())
        && e.path("token_generation").asLong() == s.generation && s.wakeId.equals(e.path("token_wake").asText());
  }

  private static boolean current(Subscription s, String wakeId, long generation) {
    return s.wakeId != null && s.wakeId.equals(wakeId) && s.generation == generation;
  }

  /** The whole state, as a checkpoint of the log stores it. */
  com.fasterxml.jackson.databind.node.ObjectNode export() {
    com.fasterxml.jackson.databind.node.ObjectNode o = Reply.JSON.objectNode();
    if (key != null) {
      o.putObject("key").put("pkcs8", key.pkcs8()).put("x", key.x());
    }
    com.fasterxml.jackson.databind.node.ArrayNode list = o.putArray("subs");
    for (Subscription s : subs.values()) {
      com.fasterxml.jackson.databind.node.ObjectNode n = list.addObject();
      n.put("sub", s.id).put("type", s.type).put("pattern", s.pattern).put("webhook_url", s.webhookUrl)
          .put("wake_stream", s.wakeStream).put("lease_ttl_ms", s.leaseTtlMillis).put("description", s.description)
          .put("created_at", s.createdAt).put("hash", s.configHash).put("secret", s.secret).put("base", s.baseUrl)
          .put("generation", s.generation).put("wake_id", s.wakeId).put("holder", s.holder);
      com.fasterxml.jackson.databind.node.ObjectNode tails = n.putObject("tails");
      s.wakeTails.forEach(tails::put);
      com.fasterxml.jackson.databind.node.ArrayNode links = n.putArray("links");
      s.links.forEach((path, l) -> links.addObject().put("path", path).put("explicit", l.explicit).put("glob", l.glob)
          .put("acked", l.acked));
    }
    return o;
  }

  /**
   * Replaces the state with a checkpoint's: for a fold that starts at the log's retention floor,
   * where the checkpoint stands for every event before it. The open wakes are re-delivered by the
   * owner (their delivery state is not replicated).
   */
  void restore(JsonNode state) {
    subs.clear();
    key = state.has("key") ? SigningKey.fromStored(state.path("key").path("pkcs8").asText(),
        state.path("key").path("x").asText()) : null;
    for (JsonNode n : state.path("subs")) {
      Subscription s = new Subscription(n.path("sub").asText(), n.path("type").asText(), text(n, "pattern"),
          text(n, "webhook_url"), text(n, "wake_stream"), n.path("lease_ttl_ms").asLong(), text(n, "description"),
          n.path("created_at").asText(), n.path("hash").asText(), n.path("secret").asText(), n.path("base").asText());
      for (JsonNode l : n.path("links")) {
        Subscription.Link link = new Subscription.Link(l.path("acked").asText());
        link.explicit = l.path("explicit").asBoolean();
        link.glob = l.path("glob").asBoolean();
        s.links.put(l.path("path").asText(), link);
      }
      s.generation = n.path("generation").asLong();
      s.wakeId = text(n, "wake_id");
      s.holder = text(n, "holder");
      Map<String, String> tails = new HashMap<>();
      n.path("tails").properties().forEach(t -> tails.put(t.getKey(), t.getValue().asText()));
      s.wakeTails = tails;
      s.leaseRenewed = s.wakeId != null && (s.webhook() || s.holder != null);
      subs.put(s.id, s);
    }
  }

  private static String text(JsonNode e, String field) {
    JsonNode n = e.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }
}
