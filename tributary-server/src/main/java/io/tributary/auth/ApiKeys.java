package io.tributary.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Static API keys from a file (docs/security.md): one key per line, {@code name sha256-hex grant...};
 * {@code #} starts a comment. The file holds only the SHA-256 of each key, so reading it does not
 * reveal the keys. Immutable once parsed; {@link Authentication} re-reads the file when it changes
 * and swaps the whole table.
 */
final class ApiKeys {
  private final Map<String, Principal> byHash;

  private ApiKeys(Map<String, Principal> byHash) {
    this.byHash = Map.copyOf(byHash);
  }

  static ApiKeys load(Path file) throws IOException {
    Map<String, Principal> out = new HashMap<>();
    int n = 0;
    for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      n++;
      int hash = raw.indexOf('#');
      String line = (hash >= 0 ? raw.substring(0, hash) : raw).trim();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\\s+");
      if (f.length < 2 || !f[1].matches("[0-9a-fA-F]{64}")) {
        throw new IOException(file + " line " + n + ": expected 'name sha256-hex grant...'");
      }
      List<Grant> grants = new ArrayList<>();
      for (int i = 2; i < f.length; i++) {
        try {
          grants.add(Grant.parse(f[i]));
        } catch (IllegalArgumentException e) {
          throw new IOException(file + " line " + n + ": " + e.getMessage(), e);
        }
      }
      if (out.put(f[1].toLowerCase(java.util.Locale.ROOT), new Principal(f[0], grants)) != null) {
        throw new IOException(file + " line " + n + ": the same key hash appears twice");
      }
    }
    return new ApiKeys(out);
  }

  /** The key's principal, or null when no key has this value. */
  Principal lookup(String key) {
    return byHash.get(sha256Hex(key));
  }

  int size() {
    return byHash.size();
  }

  /** Lower-case hex SHA-256 of the key's UTF-8 bytes (what the file holds). */
  static String sha256Hex(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }
}
