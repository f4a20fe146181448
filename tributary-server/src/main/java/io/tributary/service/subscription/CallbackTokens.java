package io.tributary.service.subscription;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Callback tokens: {@code v1.<generation>.<wake id>.<HMAC-SHA256>} under the subscription's own
 * secret, so any node verifies one without a lookup and a token names the one wake it was issued
 * for (a later wake fences it). Stateless.
 */
final class CallbackTokens {
  private CallbackTokens() {}

  /** A verified token's wake. */
  record Parsed(long generation, String wakeId) {}

  static String issue(Subscription s, long generation, String wakeId) {
    return "v1." + generation + "." + wakeId + "." + mac(s, generation, wakeId);
  }

  /** The wake a genuine token of {@code s} names, or null when {@code bearer} is not one. */
  static Parsed verify(Subscription s, String bearer) {
    if (bearer == null) {
      return null;
    }
    String[] p = bearer.split("\\.", -1);
    if (p.length != 4 || !p[0].equals("v1")) {
      return null;
    }
    long generation;
    try {
      generation = Long.parseLong(p[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    byte[] expected = mac(s, generation, p[2]).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, p[3].getBytes(StandardCharsets.US_ASCII)) ? new Parsed(generation, p[2]) : null;
  }

  private static String mac(Subscription s, long generation, String wakeId) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(Base64.getDecoder().decode(s.secret), "HmacSHA256"));
      byte[] d = m.doFinal((s.id + "\n" + generation + "\n" + wakeId).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
