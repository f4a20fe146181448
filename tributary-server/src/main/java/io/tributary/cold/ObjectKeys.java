package io.tributary.cold;

/** Validation of object keys and list prefixes (see {@link ObjectStore}, "Keys"). Stateless. */
public final class ObjectKeys {
  /** Longest key, in characters (S3 allows 1024 bytes; this leaves room for a store prefix). */
  public static final int KEY_CHARS_MAX = 512;

  private ObjectKeys() {}

  /** Returns {@code key} if it is a valid object key, else throws {@link IllegalArgumentException}. */
  public static String validate(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("object key is empty");
    }
    if (key.length() > KEY_CHARS_MAX) {
      throw new IllegalArgumentException("object key longer than " + KEY_CHARS_MAX + " characters: " + key.substring(0, 40) + "...");
    }
    int start = 0;
    while (true) {
      int slash = key.indexOf('/', start);
      int end = slash < 0 ? key.length() : slash;
      checkSegment(key, start, end);
      if (slash < 0) {
        return key;
      }
      start = slash + 1;
    }
  }

  /**
   * Returns {@code prefix} if it is a valid list prefix: empty, or the start of a valid key (it
   * may end with {@code /} or in the middle of a segment).
   */
  public static String validatePrefix(String prefix) {
    if (prefix == null) {
      throw new IllegalArgumentException("list prefix is null (use \"\" for all keys)");
    }
    if (prefix.isEmpty()) {
      return prefix;
    }
    // "p/" is the start of "p/x"; "p" (a partial last segment) is the start of "px": both valid
    // prefixes exactly when the completed key is valid
    validate(prefix.endsWith("/") ? prefix + "x" : prefix);
    return prefix;
  }

  private static void checkSegment(String key, int start, int end) {
    if (start == end) {
      throw new IllegalArgumentException("object key has an empty segment (leading, trailing or double '/'): " + key);
    }
    if (key.charAt(start) == '.') {
      throw new IllegalArgumentException("object key segment starts with '.' (reserved; no '.' or '..'): " + key);
    }
    for (int i = start; i < end; i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
          || c == '-' || c == '=';
      if (!ok) {
        throw new IllegalArgumentException("object key has character '" + c + "' outside [A-Za-z0-9._=-/]: " + key);
      }
    }
  }
}
