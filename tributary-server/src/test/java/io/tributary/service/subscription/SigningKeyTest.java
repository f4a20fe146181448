package io.tributary.service.subscription;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Goal: a delivery's signature verifies with the key the JWKS publishes (what a consumer does),
 * also after the key went through the log, and fails for a changed body; callback tokens verify
 * only for their subscription. Method: the JDK's Ed25519 verifier with a public key rebuilt from
 * the JWK's x alone.
 */
class SigningKeyTest {
  /** The DER header of an Ed25519 SubjectPublicKeyInfo; the raw key follows. */
  private static final byte[] SPKI_HEADER = HexFormat.of().parseHex("302a300506032b6570032100");

  static boolean verify(String x, String header, byte[] body) throws Exception {
    byte[] raw = Base64.getUrlDecoder().decode(x);
    byte[] spki = new byte[SPKI_HEADER.length + raw.length];
    System.arraycopy(SPKI_HEADER, 0, spki, 0, SPKI_HEADER.length);
    System.arraycopy(raw, 0, spki, SPKI_HEADER.length, raw.length);
    PublicKey pub = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    String[] parts = header.split(",");
    String t = parts[0].substring(2);
    Signature v = Signature.getInstance("Ed25519");
    v.initVerify(pub);
    v.update((t + ".").getBytes(StandardCharsets.US_ASCII));
    v.update(body);
    return v.verify(Base64.getUrlDecoder().decode(parts[2].substring("ed25519=".length())));
  }

  @Test
  void signaturesVerifyWithThePublishedKeyAlsoAfterTheLog() throws Exception {
    SigningKey k = SigningKey.generate();
    SigningKey stored = SigningKey.fromStored(k.pkcs8(), k.x());
    assertThat(stored.kid()).isEqualTo(k.kid()).startsWith("ds_");
    byte[] body = "{\"wake_id\":\"w\"}".getBytes(StandardCharsets.UTF_8);
    String header = stored.signatureHeader(1_700_000_000L, body);
    assertThat(header).matches("t=1700000000,kid=ds_[A-Za-z0-9_-]+,ed25519=[A-Za-z0-9_-]+");
    assertThat(verify(k.x(), header, body)).isTrue();
    assertThat(verify(k.x(), header, "{\"wake_id\":\"x\"}".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(SubscriptionJson.jwks(java.util.List.of(k)).path("keys").get(0).path("x").asText()).isEqualTo(k.x());
  }

  @Test
  void callbackTokensVerifyOnlyForTheirSubscription() {
    Subscription a = new Subscription("a", "webhook", null, "https://x", null, 1000, null, "t", "h",
        Base64.getEncoder().encodeToString(new byte[32]), "http://h");
    Subscription b = new Subscription("b", "webhook", null, "https://x", null, 1000, null, "t", "h",
        Base64.getEncoder().encodeToString(new byte[32]), "http://h");
    String token = CallbackTokens.issue(a, 3, "W");
    assertThat(CallbackTokens.verify(a, token)).isEqualTo(new CallbackTokens.Parsed(3, "W"));
    assertThat(CallbackTokens.verify(b, token)).as("same secret, other subscription").isNull();
    assertThat(CallbackTokens.verify(a, token.replace("v1.3.", "v1.4."))).isNull();
    assertThat(CallbackTokens.verify(a, "garbage")).isNull();
  }
}
