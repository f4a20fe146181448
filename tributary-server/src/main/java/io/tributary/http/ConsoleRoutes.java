package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web console (docs/console.md) on the admin listener: {@code GET /console/} and its script
 * and style sheet, {@code /} and {@code /console} redirecting there. The files are resources of
 * this jar, read once when the listener is built ({@link Files#load}), so serving them touches no
 * disk on the event loop. They carry no data and need no grant; the page fetches everything from
 * {@code /admin/...} with the operator's token. Their Content-Security-Policy lets the page run
 * only its own script and talk only to its own origin. Event-loop only.
 */
final class ConsoleRoutes {
  /** The console's files, by the name under {@code /console/} ("" is the page). Immutable. */
  record Files(Map<String, File> byName) {
    /** One file: its bytes and media type. */
    record File(byte[] bytes, String contentType) {}

    /** Reads the files from the classpath ({@code console/} in this jar); fails the start if one is missing. */
    static Files load() {
      return new Files(Map.of(
          "", read("index.html", "text/html; charset=utf-8"),
          "console.js", read("console.js", "text/javascript; charset=utf-8"),
          "console.css", read("console.css", "text/css; charset=utf-8")));
    }

    private static File read(String name, String contentType) {
      try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + name)) {
        if (in == null) {
          throw new IllegalStateException("console resource /console/" + name + " is missing from the jar");
        }
        return new File(in.readAllBytes(), contentType);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Scripts and styles from this origin only, fetches to this origin only, no frames, plugins,
   * forms or base URL; not framable (clickjacking the admin page).
   */
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final Files files;

  ConsoleRoutes(Files files) {
    this.files = files;
  }

  void handle(Exchange x) {
    if (!x.method.equals(HttpMethod.GET) && !x.method.equals(HttpMethod.HEAD)) {
      StreamRequestHandler.methodNotAllowed(x);
      return;
    }
    String name = x.target.ext();
    if (name == null) {
      FullHttpResponse r = Responses.empty(HttpResponseStatus.FOUND);
      r.headers().set(HttpHeaderNames.LOCATION, "/console/");
      x.respond(r);
      return;
    }
    Files.File f = files.byName().get(name);
    if (f == null) {
      x.error(HttpResponseStatus.NOT_FOUND, "no console file " + name);
      return;
    }
    boolean head = x.method.equals(HttpMethod.HEAD);
    FullHttpResponse r = Responses.full(HttpResponseStatus.OK, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(f.bytes()));
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, f.bytes().length);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, f.contentType());
    r.headers().set("Content-Security-Policy", CSP);
    r.headers().set("X-Frame-Options", "DENY");
    r.headers().set("Referrer-Policy", "no-referrer");
    // a new build serves new files at the same names: revalidate rather than run a stale script
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    x.respond(r);
  }
}
