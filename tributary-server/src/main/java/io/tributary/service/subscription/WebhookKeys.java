package io.tributary.service.subscription;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys that sign webhook deliveries and that {@code jwks.json} publishes. Two sources:
 * <ul>
 *   <li>{@code webhook-signing-key-file} set: the Ed25519 private keys in that PEM file (PKCS#8,
 *       as {@code openssl genpkey -algorithm ed25519} writes them), the same file on every node.
 *       The first signs; all are published, so a rotation is "put the new key first, keep the old
 *       one until receivers refreshed their JWKS, then remove it". The file is read again when
 *       its size or modification time changes; a file that no longer parses keeps the keys read
 *       before (logged once). Nothing secret goes into the subscription log.</li>
 *   <li>unset: one key the cluster generated with its first subscription, kept in the
 *       subscription log (and so in its snapshots and the cold tier) so every node signs alike;
 *       it never rotates.</li>
 * </ul>
 * Engine thread only (the subscriptions' executor).
 */
final class WebhookKeys {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookKeys.class);
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+?)-----END PRIVATE KEY-----");

  private final Path file;
  private final SubscriptionFold fold;
  private List<SigningKey> fromFile = List.of();
  private long fileSizeBytes = -1;
  private long fileModifiedMillis = -1;
  /** True once the file's attributes could not be read, so that is logged once until it is back. */
  private boolean unreadable;

  /**
   * @param file the PEM file, or null for the key kept in the subscription log
   * @throws IllegalArgumentException the file cannot be read or holds no usable key (a start-up error)
   */
  WebhookKeys(Path file, SubscriptionFold fold) {
    this.file = file;
    this.fold = fold;
    if (file != null) {
      String problem = reload();
      if (problem != null) {
        throw new IllegalArgumentException("webhook-signing-key-file " + file + ": " + problem);
      }
    }
  }

  /** The key that signs deliveries now, or null (no file and no subscription yet). */
  SigningKey signing() {
    return file != null ? fromFile.get(0) : fold.key();
  }

  /** Every key receivers should accept, the signing one first. */
  List<SigningKey> published() {
    if (file != null) {
      return fromFile;
    }
    return fold.key() == null ? List.of() : List.of(fold.key());
  }

  /** Reads the file again if it changed (called on every owner pass: one {@code stat}). */
  void refresh() {
    if (file == null) {
      return;
    }
    String problem = reload();
    if (problem != null) {
      LOG.error("webhook-signing-key-file {}: {}; still signing with {}", file, problem, fromFile.get(0).kid());
    }
  }

  /**
   * Re-reads the file when its size or time changed; returns why it is unusable, or null. A
   * problem is returned once: a version that failed to parse is not read again, and an unreadable
   * file is reported again only after it was readable.
   */
  private String reload() {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      boolean first = !unreadable;
      unreadable = true;
      return first ? "cannot be read: " + e : null;
    }
    unreadable = false;
    long modified = a.lastModifiedTime().toMillis();
    if (a.size() == fileSizeBytes && modified == fileModifiedMillis) {
      return null;
    }
    fileSizeBytes = a.size();
    fileModifiedMillis = modified;
    List<SigningKey> keys;
    try {
      keys = parse(Files.readString(file));
    } catch (IOException | IllegalArgumentException e) {
      return e.getMessage() == null ? e.toString() : e.getMessage();
    }
    boolean changed = !kids(keys).equals(kids(fromFile));
    fromFile = keys;
    if (changed) {
      LOG.info("webhook signing keys from {}: signing with {}, publishing {}", file, keys.get(0).kid(), kids(keys));
    }
    return null;
  }

  /** The PKCS#8 Ed25519 private keys of a PEM text, in order. */
  static List<SigningKey> parse(String pem) {
    List<SigningKey> keys = new ArrayList<>();
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("key " + (keys.size() + 1) + " is not valid base64");
      }
      keys.add(SigningKey.fromPkcs8(der, keys.size() + 1));
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no '-----BEGIN PRIVATE KEY-----' block (make one with "
          + "'openssl genpkey -algorithm ed25519')");
    }
    return List.copyOf(keys);
  }

  private static List<String> kids(List<SigningKey> keys) {
    return keys.stream().map(SigningKey::kid).toList();
  }
}
