package io.tributary.service.subscription;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The Ed25519 key that signs webhook deliveries, with the JDK's own EdDSA (no hand-rolled crypto).
 * The private key travels in the subscription log (PKCS#8) so every node signs with the same key
 * and serves the same JWKS after a leader change; its key id is {@code ds_} plus a digest of the
 * public key. Immutable.
 */
record SigningKey(String kid, PrivateKey privateKey, byte[] publicRaw, String pkcs8) {
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  /** An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte header and the 32-byte key. */
  private static final int RAW_PUBLIC_BYTES = 32;

  static SigningKey generate() {
    try {
      KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      return of(kp.getPrivate(), kp.getPublic());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make Ed25519 keys", e);
    }
  }

  /** The key as the log stores it: {@link #pkcs8} and {@link #x}. */
  static SigningKey fromStored(String pkcs8, String x) {
    try {
      PrivateKey priv = KeyFactory.getInstance("Ed25519")
          .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pkcs8)));
      return new SigningKey(kidOf(Base64.getUrlDecoder().decode(x)), priv, Base64.getUrlDecoder().decode(x), pkcs8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("subscription signing key in the log is unreadable", e);
    }
  }

  private static SigningKey of(PrivateKey priv, PublicKey pub) {
    byte[] spki = pub.getEncoded();
    byte[] raw = Arrays.copyOfRange(spki, spki.length - RAW_PUBLIC_BYTES, spki.length);
    return new SigningKey(kidOf(raw), priv, raw, Base64.getEncoder().encodeToString(priv.getEncoded()));
  }

  private static String kidOf(byte[] raw) {
    try {
      return "ds_" + B64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(raw)).substring(0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JWK's {@code x}: the raw public key, base64url. */
  String x() {
    return B64URL.encodeToString(publicRaw);
  }

  /** {@code t=<unix s>,kid=<kid>,ed25519=<signature over "t.body", base64url>}. */
  String signatureHeader(long unixSeconds, byte[] body) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      s.update(body);
      return "t=" + unixSeconds + ",kid=" + kid + ",ed25519=" + B64URL.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }
}
