package io.tributary.service.subscription;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One subscription as the log's fold has it: its configuration (fixed at creation), its linked
 * streams with their acknowledged offsets, and its current wake (generation, id, the tails it was
 * issued for, the pull-wake worker holding it). Mutable; owned by the subscription engine thread.
 * The fields under "owner-local" are not replicated: the delivering node's timers and retries.
 */
final class Subscription {
  static final String WEBHOOK = "webhook";
  static final String PULL_WAKE = "pull-wake";

  /** A linked stream: how it is linked (both is possible) and the offset acknowledged so far ("-1": none). */
  static final class Link {
    boolean explicit;
    boolean glob;
    String acked;

    Link(String acked) {
      this.acked = acked;
    }
  }

  final String id;
  final String type;
  final String pattern; // null: explicit streams only
  final String webhookUrl; // null for pull-wake
  final String wakeStream; // null for webhook
  final long leaseTtlMillis;
  final String description;
  final String createdAt;
  final String configHash;
  /** The HMAC key of this subscription's callback tokens (base64); never leaves the log. */
  final String secret;
  /** scheme://host of the request that created it: callback URLs in deliveries point there. */
  final String baseUrl;
  final Map<String, Link> links = new LinkedHashMap<>();

  long generation;
  String wakeId; // null: no wake outstanding
  Map<String, String> wakeTails = Map.of();
  String holder; // pull-wake: the worker that claimed the wake

  /** Set by the fold when the lease restarts (wake, claim, progress); the owner then restarts it on its own clock. */
  boolean leaseRenewed;

  // owner-local
  long leaseDeadlineMillis = Long.MAX_VALUE;
  boolean delivered;
  int deliveryFailures;
  long nextDeliveryMillis;

  Subscription(String id, String type, String pattern, String webhookUrl, String wakeStream, long leaseTtlMillis,
      String description, String createdAt, String configHash, String secret, String baseUrl) {
    this.id = id;
    this.type = type;
    this.pattern = pattern;
    this.webhookUrl = webhookUrl;
    this.wakeStream = wakeStream;
    this.leaseTtlMillis = leaseTtlMillis;
    this.description = description;
    this.createdAt = createdAt;
    this.configHash = configHash;
    this.secret = secret;
    this.baseUrl = baseUrl;
  }

  boolean webhook() {
    return type.equals(WEBHOOK);
  }

  /** Ends the current wake (done, released, expired): the next one gets a new generation. */
  void endWake() {
    wakeId = null;
    wakeTails = Map.of();
    holder = null;
    leaseRenewed = false;
    leaseDeadlineMillis = Long.MAX_VALUE;
    delivered = false;
  }

  void link(String path, boolean asExplicit, String acked) {
    Link l = links.computeIfAbsent(path, p -> new Link(acked));
    if (asExplicit) {
      l.explicit = true;
    } else {
      l.glob = true;
    }
  }
}
