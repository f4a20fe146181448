package io.tributary.bench.client;

import java.net.URI;

/**
 * One server base URL ({@code http://host:port}, no path) as the client dials it. Immutable.
 *
 * @param host the host to connect to
 * @param port the TCP port
 * @param hostHeader the value sent in {@code Host}
 */
public record Endpoint(String host, int port, String hostHeader) {

  /** Parses {@code http://host[:port][/]}; a path other than {@code /} is rejected (use --prefix). */
  public static Endpoint parse(String url) {
    URI u = URI.create(url.trim());
    if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
      throw new IllegalArgumentException("not an http://host:port URL: " + url);
    }
    if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")) {
      throw new IllegalArgumentException("URL must be an origin without a path (use --prefix for the route): " + url);
    }
    int port = u.getPort() > 0 ? u.getPort() : 80;
    return new Endpoint(u.getHost(), port, u.getHost() + ":" + port);
  }

  public String url() {
    return "http://" + hostHeader;
  }
}
