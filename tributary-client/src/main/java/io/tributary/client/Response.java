package io.tributary.client;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/** One HTTP answer as the SDK uses it: the node that gave it, status, headers, body. Immutable. */
record Response(String node, int status, HttpHeaders headers, byte[] body) {
  /** The first value of a header, or null. */
  String header(String name) {
    return headers.firstValue(name).orElse(null);
  }

  String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
