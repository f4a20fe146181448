package io.tributary.tls;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * A certificate chain and its private key, read from PEM and checked to belong together.
 *
 * <p>The certificate file holds the leaf first, then any intermediates (each issued by the next);
 * the key file one unencrypted private key as PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}). RSA, EC and Ed25519
 * keys are supported. {@link #parse} refuses a key that does not sign for the leaf's public key
 * (which is how a half-replaced pair looks), a chain out of order, and a leaf outside its validity
 * at {@code now} (one valid from up to {@link #CLOCK_SKEW} later is accepted). Keys are converted by the JDK's own providers; no provider is registered.
 *
 * @param chain leaf first, never empty
 * @param key   the leaf's private key
 */
public record PemMaterial(List<X509Certificate> chain, PrivateKey key) {
  /** Largest certificate or key file read (a chain of a few certificates is a few KiB). */
  public static final int FILE_BYTES_MAX = 1024 * 1024;
  /** A certificate that starts to be valid this soon is accepted: its issuer's clock may run a little ahead. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  public PemMaterial {
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("empty certificate chain");
    }
  }

  public X509Certificate leaf() {
    return chain.getFirst();
  }

  /**
   * Parses and checks a certificate file's and a key file's contents; {@code certName} and
   * {@code keyName} only label the messages.
   */
  public static PemMaterial parse(byte[] certPem, String certName, byte[] keyPem, String keyName, Instant now)
      throws TlsMaterialException {
    List<X509Certificate> chain = certificates(certPem, certName);
    PrivateKey key = privateKey(keyPem, keyName);
    X509Certificate leaf = chain.getFirst();
    if (!signsFor(key, leaf.getPublicKey())) {
      throw new TlsMaterialException(keyName + " is not the private key of the certificate in " + certName + " ("
          + leaf.getSubjectX500Principal().getName() + ", serial " + leaf.getSerialNumber().toString(16) + ")");
    }
    for (int i = 0; i + 1 < chain.size(); i++) {
      try {
        chain.get(i).verify(chain.get(i + 1).getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new TlsMaterialException(certName + ": certificate " + (i + 1) + " is not issued by certificate " + (i + 2)
            + " (put the leaf first, then each issuer)");
      }
    }
    if (now.isAfter(leaf.getNotAfter().toInstant()) || now.plus(CLOCK_SKEW).isBefore(leaf.getNotBefore().toInstant())) {
      throw new TlsMaterialException(certName + ": certificate valid only from " + leaf.getNotBefore().toInstant() + " to "
          + leaf.getNotAfter().toInstant() + ", now is " + now);
    }
    return new PemMaterial(chain, key);
  }

  /** Every certificate in a PEM text, in order; at least one. */
  public static List<X509Certificate> certificates(byte[] pem, String name) throws TlsMaterialException {
    List<X509Certificate> out = new ArrayList<>();
    JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
    try (PEMParser p = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        if (!(o instanceof X509CertificateHolder h)) {
          throw new TlsMaterialException(name + ": expected only CERTIFICATE blocks, found " + o.getClass().getSimpleName());
        }
        out.add(conv.getCertificate(h));
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new TlsMaterialException(name + ": not a PEM certificate chain: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new TlsMaterialException(name + ": no PEM certificate (-----BEGIN CERTIFICATE-----) found");
    }
    return out;
  }

  /** The one unencrypted private key in a PEM text (an EC PARAMETERS block beside it is skipped). */
  public static PrivateKey privateKey(byte[] pem, String name) throws TlsMaterialException {
    PrivateKey key = null;
    JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
    // the message of a parse error never quotes the file: it is a secret
    try (PEMParser p = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        PrivateKey k = switch (o) {
          case PrivateKeyInfo info -> conv.getPrivateKey(info);
          case PEMKeyPair pair -> conv.getPrivateKey(pair.getPrivateKeyInfo());
          case ASN1ObjectIdentifier curve -> null;
          case PKCS8EncryptedPrivateKeyInfo e -> throw new TlsMaterialException(name + ": encrypted keys are not supported");
          case PEMEncryptedKeyPair e -> throw new TlsMaterialException(name + ": encrypted keys are not supported");
          default -> throw new TlsMaterialException(name + ": expected a PRIVATE KEY block, found " + o.getClass().getSimpleName());
        };
        if (k != null && key != null) {
          throw new TlsMaterialException(name + ": more than one private key");
        }
        key = k != null ? k : key;
      }
    } catch (IOException | RuntimeException e) {
      throw new TlsMaterialException(name + ": not a PEM private key (" + e.getClass().getSimpleName() + ")", e);
    }
    if (key == null) {
      throw new TlsMaterialException(name + ": no PEM private key (-----BEGIN PRIVATE KEY-----) found");
    }
    return key;
  }

  /** True when {@code key} signs what {@code publicKey} verifies: they are one key pair. */
  static boolean signsFor(PrivateKey key, PublicKey publicKey) throws TlsMaterialException {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())
        && !(key.getAlgorithm().startsWith("Ed") && publicKey.getAlgorithm().startsWith("Ed"))) {
      return false;
    }
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new TlsMaterialException("unsupported key algorithm " + key.getAlgorithm() + " (use RSA, EC or Ed25519)");
    };
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(publicKey);
      v.update(challenge);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
