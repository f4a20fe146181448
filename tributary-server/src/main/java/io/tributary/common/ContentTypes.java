package io.tributary.common;

import java.util.Locale;

/** Content-type normalization shared by every layer that compares stream types. */
public final class ContentTypes {
  public static final String DEFAULT = "application/octet-stream";

  private ContentTypes() {}

  /** Media type without parameters, lower-cased, trimmed; null or blank becomes null. */
  public static String normalize(String contentType) {
    if (contentType == null) {
      return null;
    }
    int semi = contentType.indexOf(';');
    String t = (semi >= 0 ? contentType.substring(0, semi) : contentType).trim().toLowerCase(Locale.ROOT);
    return t.isEmpty() ? null : t;
  }

  public static boolean isJson(String contentType) {
    return "application/json".equals(normalize(contentType));
  }

  /** SSE sends text and JSON as is; everything else is base64. */
  public static boolean isTextual(String contentType) {
    String n = normalize(contentType);
    return n != null && (n.startsWith("text/") || n.equals("application/json"));
  }
}
