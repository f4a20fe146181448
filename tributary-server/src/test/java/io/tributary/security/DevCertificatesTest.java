package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.tls.DevCertificates;
import io.tributary.tls.PemMaterial;
import io.tributary.tls.TlsMaterialException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: what {@code tributary certs} writes is a CA and certificates a standard validator accepts
 * for the purposes they are meant for (node: server and client; client: client only), with the
 * names asked for; a second run re-issues from the same CA; and the PEM reader accepts the key
 * forms operators have (PKCS#8, SEC1, PKCS#1) while refusing pairs and chains that cannot serve.
 *
 * <p>Method: {@link DevCertificates#writeSet} (the function behind the command) into a temporary
 * directory; each certificate read back from its file and validated with the JDK's PKIX
 * {@link CertPathValidator} against {@code ca.crt} as the only trust anchor, and with {@code openssl verify}
 * where OpenSSL is installed (which also writes the SEC1 and PKCS#1 keys). Pure functions, no node.
 */
class DevCertificatesTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  @Test
  void theCommandsFilesAreAValidChainWithTheNamesAskedFor(@TempDir Path dir) throws Exception {
    Map<String, List<String>> nodes = new LinkedHashMap<>();
    nodes.put("n1", List.of("127.0.0.1", "localhost", "n1.internal"));
    nodes.put("n2", List.of("10.0.0.2", "::1"));
    List<Path> written = DevCertificates.writeSet(dir, nodes, List.of("ops"), Duration.ofDays(3650), Duration.ofDays(365),
        Instant.now());
    assertThat(written).extracting(p -> p.getFileName().toString())
        .containsExactly("ca.crt", "ca.key", "n1.crt", "n1.key", "n2.crt", "n2.key", "ops.crt", "ops.key");
    assertThat(Files.getPosixFilePermissions(dir.resolve("n1.key"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(dir.resolve("ca.key"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));

    X509Certificate ca = read(dir.resolve("ca.crt"));
    assertThat(ca.getBasicConstraints()).as("a CA that signs end entities only").isEqualTo(0);
    X509Certificate n1 = read(dir.resolve("n1.crt"));
    validate(n1, ca);
    assertThat(n1.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);
    assertThat(n1.getBasicConstraints()).as("not a CA").isEqualTo(-1);
    assertThat(sans(n1)).containsExactlyInAnyOrder("7:127.0.0.1", "2:localhost", "2:n1.internal");
    X509Certificate n2 = read(dir.resolve("n2.crt"));
    validate(n2, ca);
    assertThat(sans(n2)).hasSize(2).contains("7:10.0.0.2");
    if (OPENSSL) {
      openssl(dir, "verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "n1.crt");
      openssl(dir, "verify", "-CAfile", "ca.crt", "-purpose", "sslclient", "n1.crt");
      openssl(dir, "verify", "-CAfile", "ca.crt", "-purpose", "sslclient", "ops.crt");
    }
    X509Certificate ops = read(dir.resolve("ops.crt"));
    validate(ops, ca);
    assertThat(ops.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    for (String name : List.of("n1", "n2", "ops")) {
      assertThat(PemMaterial.parse(Files.readAllBytes(dir.resolve(name + ".crt")), name + ".crt",
          Files.readAllBytes(dir.resolve(name + ".key")), name + ".key", Instant.now()).leaf().getSerialNumber())
          .as("%s's key file belongs to its certificate", name).isEqualTo(read(dir.resolve(name + ".crt")).getSerialNumber());
    }

    // a second run renews n1 from the same CA: same issuer key, new serial, CA files untouched
    byte[] caBefore = Files.readAllBytes(dir.resolve("ca.crt"));
    List<Path> again = DevCertificates.writeSet(dir, Map.of("n1", List.of("127.0.0.1")), List.of(), Duration.ofDays(3650),
        Duration.ofDays(365), Instant.now());
    assertThat(again).extracting(p -> p.getFileName().toString()).containsExactly("n1.crt", "n1.key");
    assertThat(Files.readAllBytes(dir.resolve("ca.crt"))).isEqualTo(caBefore);
    X509Certificate renewed = read(dir.resolve("n1.crt"));
    validate(renewed, ca);
    assertThat(renewed.getSerialNumber()).isNotEqualTo(n1.getSerialNumber());

    assertThatThrownBy(() -> DevCertificates.writeSet(dir, Map.of("../x", List.of("a")), List.of(), Duration.ofDays(1),
        Duration.ofDays(1), Instant.now())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keysInPkcs8Sec1OrPkcs1AreReadAndPairsThatCannotServeAreRefused(@TempDir Path dir) throws Exception {
    Instant now = Instant.now();
    DevCertificates.Issued ca = DevCertificates.newCa("ca", now, Duration.ofDays(10));
    DevCertificates.Issued a = DevCertificates.issueNode(ca, "a", List.of("localhost"), now, Duration.ofDays(1));
    DevCertificates.Issued b = DevCertificates.issueNode(ca, "b", List.of("localhost"), now, Duration.ofDays(1));
    byte[] certA = DevCertificates.pem(a.certificate()).getBytes();
    a.write(dir.resolve("a.crt"), dir.resolve("a.key"));
    assertThat(Files.readString(dir.resolve("a.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
    String pkcs8 = Files.readString(dir.resolve("a.key"));
    assertThat(PemMaterial.parse(certA, "a.crt", pkcs8.getBytes(), "a.key", now).key()).isNotNull();
    String sec1 = pkcs8;
    if (OPENSSL) {
      // the forms OpenSSL writes: SEC1 for EC ("traditional"), and an RSA pair with a PKCS#1 key
      openssl(dir, "ec", "-in", "a.key", "-out", "a-sec1.key");
      sec1 = Files.readString(dir.resolve("a-sec1.key"));
      assertThat(sec1).startsWith("-----BEGIN EC PRIVATE KEY-----");
      assertThat(PemMaterial.parse(certA, "a.crt", sec1.getBytes(), "a-sec1.key", now).key().getAlgorithm()).isEqualTo("EC");
      openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.crt", "-subj", "/CN=rsa",
          "-days", "1");
      openssl(dir, "rsa", "-in", "rsa.key", "-traditional", "-out", "rsa-pkcs1.key");
      assertThat(Files.readString(dir.resolve("rsa-pkcs1.key"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
      assertThat(PemMaterial.parse(Files.readAllBytes(dir.resolve("rsa.crt")), "rsa.crt",
          Files.readAllBytes(dir.resolve("rsa-pkcs1.key")), "rsa-pkcs1.key", now).key().getAlgorithm()).isEqualTo("RSA");
    }
    String keyA = sec1;

    // leaf then its issuer is accepted; the other order is not
    byte[] chain = (DevCertificates.pem(a.certificate()) + DevCertificates.pem(ca.certificate())).getBytes();
    assertThat(PemMaterial.parse(chain, "chain.crt", keyA.getBytes(), "a.key", now).chain()).hasSize(2);
    byte[] reversed = (DevCertificates.pem(a.certificate()) + DevCertificates.pem(b.certificate())).getBytes();
    assertThatThrownBy(() -> PemMaterial.parse(reversed, "bad-chain.crt", keyA.getBytes(), "a.key", now))
        .isInstanceOf(TlsMaterialException.class).hasMessageContaining("is not issued by");

    String keyB = DevCertificates.pem(b.key());
    assertThatThrownBy(() -> PemMaterial.parse(certA, "a.crt", keyB.getBytes(), "b.key", now))
        .isInstanceOf(TlsMaterialException.class).hasMessageContaining("b.key is not the private key");
    assertThatThrownBy(() -> PemMaterial.parse(certA, "a.crt", keyA.getBytes(), "a.key", now.plus(Duration.ofDays(3))))
        .isInstanceOf(TlsMaterialException.class).hasMessageContaining("valid only from");
    String truncated = keyA.substring(0, keyA.length() / 2);
    assertThatThrownBy(() -> PemMaterial.parse(certA, "a.crt", truncated.getBytes(), "a.key", now))
        .isInstanceOf(TlsMaterialException.class).hasMessageContaining("a.key")
        .satisfies(e -> assertThat(e.getMessage()).as("never quotes the key").doesNotContain(truncated.lines().skip(1).findFirst().orElseThrow()));
  }

  /** OpenSSL checks the files too where it is installed (CI images have it). */
  private static final boolean OPENSSL = Files.isExecutable(Path.of("/usr/bin/openssl"));

  private static void openssl(Path dir, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("openssl %s: %s", String.join(" ", args), out).isZero();
  }

  private static X509Certificate read(Path file) throws Exception {
    try (var in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static void validate(X509Certificate leaf, X509Certificate ca) throws Exception {
    CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(path, params);
  }

  private static Set<String> sans(X509Certificate c) throws Exception {
    return c.getSubjectAlternativeNames().stream().map(l -> l.get(0) + ":" + l.get(1)).collect(Collectors.toSet());
  }
}
