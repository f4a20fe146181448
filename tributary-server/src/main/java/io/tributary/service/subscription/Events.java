package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Building blocks of subscription-log events: an event's head, a link, its bytes, and the random
 * ids and secrets events carry (from a {@link SecureRandom}: wake ids and secrets are credentials'
 * inputs). Thread-safe.
 */
final class Events {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Events() {}

  /** {@code {"ev": ev, "sub": sub}}, to add the event's fields to. */
  static ObjectNode event(String ev, String sub) {
    ObjectNode e = Reply.JSON.objectNode();
    e.put("ev", ev);
    e.put("sub", sub);
    return e;
  }

  /** One link of a create or link event. */
  static ObjectNode link(String path, boolean explicit, String acked) {
    ObjectNode l = Reply.JSON.objectNode();
    l.put("path", path);
    l.put("explicit", explicit);
    l.put("acked", acked);
    return l;
  }

  static byte[] bytes(ObjectNode e) {
    try {
      return JSON.writeValueAsBytes(e);
    } catch (IOException x) {
      throw new IllegalStateException(x);
    }
  }

  /** A random id (event ids, wake ids): 96 bits, base64url. */
  static String newId() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** A subscription's callback-token key: 256 bits, base64. */
  static String newSecret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }
}
