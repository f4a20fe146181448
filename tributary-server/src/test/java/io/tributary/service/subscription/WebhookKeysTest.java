package io.tributary.service.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: webhook keys from the operator's PEM file sign and are published in file order, a
 * rotation written to the file is picked up without a restart, a broken file never leaves the
 * node without a key, and the public key derived from a file's private key is the right one.
 * Method: key pairs from the JDK and from openssl (the documented command), written as PEM; the
 * published x of each is compared with the public key its generator made, and signatures are
 * checked with the JDK's verifier against the published x.
 */
class WebhookKeysTest {
  @TempDir
  Path dir;

  @Test
  void theFirstKeySignsAndEveryKeyIsPublished() throws Exception {
    KeyPair a = pair();
    KeyPair b = pair();
    Path file = write("keys.pem", pem(a) + pem(b), 1);
    WebhookKeys keys = new WebhookKeys(file, new SubscriptionFold(10, 10));
    assertThat(keys.published()).extracting(SigningKey::x).containsExactly(x(a), x(b));
    byte[] body = "{\"wake_id\":\"w\"}".getBytes(StandardCharsets.UTF_8);
    String header = keys.signing().signatureHeader(1_700_000_000L, body);
    assertThat(header).contains("kid=" + keys.published().get(0).kid());
    assertThat(SigningKeyTest.verify(x(a), header, body)).isTrue();
    assertThat(SigningKeyTest.verify(x(b), header, body)).isFalse();
  }

  @Test
  void aRotationIsPickedUpAndABrokenFileKeepsTheKeysBefore() throws Exception {
    KeyPair a = pair();
    KeyPair b = pair();
    Path file = write("keys.pem", pem(a), 1);
    WebhookKeys keys = new WebhookKeys(file, new SubscriptionFold(10, 10));
    write("keys.pem", pem(b) + pem(a), 2);
    keys.refresh();
    assertThat(keys.published()).extracting(SigningKey::x).containsExactly(x(b), x(a));
    write("keys.pem", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", 3);
    keys.refresh();
    assertThat(keys.signing().x()).isEqualTo(x(b));
    assertThat(keys.published()).hasSize(2);
  }

  @Test
  void aFileWithoutAUsableKeyIsRefusedAtStart() throws Exception {
    Path empty = write("empty.pem", "nothing here\n", 1);
    assertThatThrownBy(() -> new WebhookKeys(empty, new SubscriptionFold(10, 10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BEGIN PRIVATE KEY");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    Path notEd = write("rsa.pem", pem(rsa.generateKeyPair()), 1);
    assertThatThrownBy(() -> new WebhookKeys(notEd, new SubscriptionFold(10, 10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key 1 is not an Ed25519 private key");
  }

  @Test
  void noFileMeansTheClusterKeyFromTheLog() {
    WebhookKeys keys = new WebhookKeys(null, new SubscriptionFold(10, 10));
    assertThat(keys.signing()).isNull();
    assertThat(keys.published()).isEmpty();
  }

  @Test
  void anOpensslKeyGetsOpensslsPublicKey() throws Exception {
    Path key = dir.resolve("openssl.pem");
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", key.toString());
    Path pub = dir.resolve("openssl.pub.der");
    run("openssl", "pkey", "-in", key.toString(), "-pubout", "-outform", "DER", "-out", pub.toString());
    byte[] spki = Files.readAllBytes(pub);
    String expected = Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    assertThat(WebhookKeys.parse(Files.readString(key))).extracting(SigningKey::x).containsExactly(expected);
  }

  private static KeyPair pair() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  private static String x(KeyPair kp) {
    byte[] spki = kp.getPublic().getEncoded();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
  }

  private static String pem(KeyPair kp) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(kp.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /** Writes the file with a distinct modification time per version (a rewrite within one clock tick must still count). */
  private Path write(String name, String text, int version) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_000L + version * 1000L));
    return file;
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", List.of(command), out).isZero();
  }
}
