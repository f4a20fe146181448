package io.tributary.http;

/** JSON string literals for the small JSON bodies and events the routes build by hand. Stateless. */
final class JsonText {
  private JsonText() {}

  /** {@code s} as a quoted JSON string: quotes, backslashes and control characters escaped. */
  static String string(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
