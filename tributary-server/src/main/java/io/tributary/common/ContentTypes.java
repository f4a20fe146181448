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

  /** Media types a browser renders as a document or runs as script when navigated to or embedded. */
  private static final java.util.Set<String> ACTIVE = java.util.Set.of("text/html", "application/xhtml+xml",
      "image/svg+xml", "text/xml", "application/xml", "text/xsl", "application/xslt+xml", "application/pdf",
      "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript",
      "application/x-shockwave-flash", "multipart/x-mixed-replace", "text/vtt", "application/wasm");

  /**
   * True for a type a browser could render as a page of the server's origin (HTML, SVG, XML and
   * friends, script, PDF): stream bodies of such a type are served as attachments, so a stream
   * somebody created as {@code text/html} is never a page on the node's origin.
   */
  public static boolean isActive(String contentType) {
    String n = normalize(contentType);
    return n != null && (ACTIVE.contains(n) || n.endsWith("+xml"));
  }

  /** SSE sends text and JSON as is; everything else is base64. */
  public static boolean isTextual(String contentType) {
    String n = normalize(contentType);
    return n != null && (n.startsWith("text/") || n.equals("application/json"));
  }
}
