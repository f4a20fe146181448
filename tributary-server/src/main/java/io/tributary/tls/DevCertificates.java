package io.tributary.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A development certificate authority: what {@code tributary certs} writes, and what tests use.
 *
 * <p>Every key is EC P-256, every signature ECDSA with SHA-256, every serial 127 random bits. The
 * CA certificate may sign end-entity certificates only (path length 0). A node certificate
 * carries the node's names and addresses as subject alternative names and both TLS purposes
 * (server and client authentication), so one certificate serves the node's listeners now and its
 * side of mutual TLS between peers later. A client certificate carries client authentication
 * only. Validity starts an hour before {@code now} to tolerate clock skew between machines.
 *
 * <p>Not for production: the CA key sits in a file next to the certificates. Production
 * certificates come from the operator's own CA; the node reads any PEM pair (see {@link PemMaterial}).
 */
public final class DevCertificates {
  private DevCertificates() {}

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final Duration SKEW = Duration.ofHours(1);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A certificate and its private key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    /** Writes both as PEM (the key as PKCS#8, owner-only where the file system has permissions). */
    public void write(Path certFile, Path keyFile) throws IOException {
      writeAtomically(certFile, pem(certificate), false);
      writeAtomically(keyFile, pem(key), true);
    }
  }

  /** A new self-signed CA named {@code commonName}. */
  public static Issued newCa(String commonName, Instant now, Duration validity) {
    KeyPair kp = keyPair();
    X500Name name = name(commonName);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = builder(name, name, kp, now, validity)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new Issued(sign(b, kp.getPrivate()), kp.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build a CA certificate", e);
    }
  }

  /** The CA in {@code certFile} and {@code keyFile} (to issue more certificates from it). */
  public static Issued loadCa(Path certFile, Path keyFile) throws IOException, TlsMaterialException {
    List<X509Certificate> chain = PemMaterial.certificates(Files.readAllBytes(certFile), certFile.toString());
    PrivateKey key = PemMaterial.privateKey(Files.readAllBytes(keyFile), keyFile.toString());
    if (!PemMaterial.signsFor(key, chain.getFirst().getPublicKey())) {
      throw new TlsMaterialException(keyFile + " is not the private key of the CA certificate in " + certFile);
    }
    if (chain.getFirst().getBasicConstraints() < 0) {
      throw new TlsMaterialException(certFile + " is not a CA certificate");
    }
    return new Issued(chain.getFirst(), key);
  }

  /**
   * A certificate for node {@code name}, valid for TLS servers and clients, with {@code names} as
   * subject alternative names: each an IP address literal or a DNS name.
   */
  public static Issued issueNode(Issued ca, String name, List<String> names, Instant now, Duration validity) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a node certificate needs at least one name or address");
    }
    List<GeneralName> sans = new ArrayList<>();
    for (String n : names) {
      sans.add(isIpLiteral(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
    }
    return issue(ca, name, new GeneralNames(sans.toArray(GeneralName[]::new)),
        new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}, now, validity);
  }

  /** A certificate for a client named {@code name}, valid for TLS client authentication only. */
  public static Issued issueClient(Issued ca, String name, Instant now, Duration validity) {
    return issue(ca, name, null, new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}, now, validity);
  }

  /** File names {@link #writeSet} uses in its directory. */
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";

  /**
   * Writes into {@code dir}: the CA ({@value #CA_CERT}, {@value #CA_KEY}), created unless both are
   * there already (so a second run issues more certificates from the same CA, or renews them), and
   * per node {@code <name>.crt}/{@code <name>.key} with the node's names and addresses, per client
   * {@code <name>.crt}/{@code <name>.key}. Existing node and client files of the same names are
   * replaced (atomically each). Returns the files written, in order.
   *
   * @param nodes   node name to its subject alternative names (IP literals or DNS names)
   * @param clients client names
   */
  public static List<Path> writeSet(Path dir, java.util.Map<String, List<String>> nodes, List<String> clients,
      Duration caValidity, Duration validity, Instant now) throws IOException, TlsMaterialException {
    List<Path> written = new ArrayList<>();
    Path caCert = dir.resolve(CA_CERT);
    Path caKey = dir.resolve(CA_KEY);
    Issued ca;
    if (Files.exists(caCert) || Files.exists(caKey)) {
      ca = loadCa(caCert, caKey);
    } else {
      ca = newCa("Tributary development CA", now, caValidity);
      ca.write(caCert, caKey);
      written.add(caCert);
      written.add(caKey);
    }
    java.util.Set<String> seen = new java.util.HashSet<>(List.of("ca"));
    for (var node : nodes.entrySet()) {
      checkFileName(node.getKey(), seen);
      issueNode(ca, node.getKey(), node.getValue(), now, validity).write(dir.resolve(node.getKey() + ".crt"),
          dir.resolve(node.getKey() + ".key"));
      written.add(dir.resolve(node.getKey() + ".crt"));
      written.add(dir.resolve(node.getKey() + ".key"));
    }
    for (String client : clients) {
      checkFileName(client, seen);
      issueClient(ca, client, now, validity).write(dir.resolve(client + ".crt"), dir.resolve(client + ".key"));
      written.add(dir.resolve(client + ".crt"));
      written.add(dir.resolve(client + ".key"));
    }
    return written;
  }

  private static void checkFileName(String name, java.util.Set<String> seen) {
    if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("a node or client name is 1-64 of [A-Za-z0-9_-], got '" + name + "'");
    }
    if (!seen.add(name)) {
      throw new IllegalArgumentException("name '" + name + "' given twice (or 'ca', which the CA's files use)");
    }
  }

  /** PEM text of a certificate. */
  public static String pem(X509Certificate certificate) {
    return pemObject(certificate);
  }

  /** PEM text of a private key as PKCS#8 ({@code BEGIN PRIVATE KEY}). */
  public static String pem(PrivateKey key) {
    try {
      return pemObject(new JcaPKCS8Generator(key, null));
    } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException("cannot encode a private key", e);
    }
  }

  private static String pemObject(Object o) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s.toString();
  }

  static boolean isIpLiteral(String s) {
    return IPAddress.isValid(s);
  }

  private static Issued issue(Issued ca, String name, GeneralNames sans, KeyPurposeId[] purposes, Instant now,
      Duration validity) {
    KeyPair kp = keyPair();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = builder(X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
          name(name), kp, now, validity)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
      if (sans != null) {
        b.addExtension(Extension.subjectAlternativeName, false, sans);
      }
      return new Issued(sign(b, ca.key()), kp.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + name, e);
    }
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair kp, Instant now,
      Duration validity) {
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).setBit(0), Date.from(now.minus(SKEW)),
        Date.from(now.plus(validity)), subject, kp.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(issuerKey)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Tributary development").addRDN(BCStyle.CN, commonName).build();
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no EC P-256", e);
    }
  }

  /**
   * Writes through a temporary file and an atomic rename, so a node reloading the file never reads
   * half of it; a key file is created owner-only (rw-------) before any byte is written.
   */
  private static void writeAtomically(Path file, String text, boolean secret) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    if (secret && dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
