package io.tributary.service.subscription;

/**
 * A stream-name pattern: segments separated by '/', where {@code *} matches one whole segment and
 * {@code **} zero or more segments; any other segment matches itself. Immutable.
 */
record Glob(String pattern) {
  boolean matches(String path) {
    return match(pattern.split("/", -1), 0, path.split("/", -1), 0);
  }

  private static boolean match(String[] p, int i, String[] s, int j) {
    if (i == p.length) {
      return j == s.length;
    }
    if (p[i].equals("**")) {
      for (int k = j; k <= s.length; k++) {
        if (match(p, i + 1, s, k)) {
          return true;
        }
      }
      return false;
    }
    if (j == s.length) {
      return false;
    }
    return (p[i].equals("*") || p[i].equals(s[j])) && match(p, i + 1, s, j + 1);
  }

  /**
   * What every matching name starts with: the pattern up to its first wildcard (which is a whole
   * segment, so this ends with '/' or is empty), or the whole pattern when it has none.
   */
  String literalPrefix() {
    int star = pattern.indexOf('*');
    return star < 0 ? pattern : pattern.substring(0, star);
  }

  /** Null when usable as a pattern, else why not. */
  static String problem(String pattern) {
    if (pattern.isEmpty() || pattern.length() > 1024) {
      return "pattern must have 1 to 1024 characters";
    }
    for (String seg : pattern.split("/", -1)) {
      if (seg.isEmpty()) {
        return "pattern has an empty segment";
      }
      if (!seg.equals("*") && !seg.equals("**") && seg.contains("*")) {
        return "'*' and '**' must be whole segments";
      }
    }
    return null;
  }
}
