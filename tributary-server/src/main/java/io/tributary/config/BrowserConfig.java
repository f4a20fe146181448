package io.tributary.config;

import java.util.List;

/**
 * What browsers may do with the client listener (docs/security.md, "Browser safety").
 *
 * @param corsAnyOrigin  true: {@code Access-Control-Allow-Origin: *} on every client response
 * @param corsOrigins    otherwise, the origins (scheme://host[:port]) granted cross-origin reads;
 *                       empty = none (same-origin pages only)
 * @param allowedHosts   host names (without port) a request's {@code Host} may name; empty = any.
 *                       Guards against DNS rebinding: a page whose name is made to resolve to the
 *                       node still sends its own name in {@code Host}
 */
public record BrowserConfig(boolean corsAnyOrigin, List<String> corsOrigins, List<String> allowedHosts) {
  public BrowserConfig {
    corsOrigins = List.copyOf(corsOrigins);
    allowedHosts = List.copyOf(allowedHosts);
  }
}
