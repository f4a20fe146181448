package io.tributary.service.subscription;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Where webhooks may go (docs/subscriptions.md, "Webhook targets"): https to public addresses; with
 * {@code --webhook-loopback-allowed}, also http to localhost and 127.0.0.0/8 for development. Never
 * private, link-local, multicast or unspecified addresses, nor loopback without that setting: a
 * subscription must not turn the node into a proxy into its own network (the admin listener, a
 * cloud metadata endpoint). Checked when a subscription is created (by name and literal address)
 * and again at every delivery against what the name resolves to then, so DNS that later points a
 * public name at a private address is refused too. Stateless.
 */
final class WebhookTargets {
  private final boolean loopbackAllowed;

  WebhookTargets(boolean loopbackAllowed) {
    this.loopbackAllowed = loopbackAllowed;
  }

  /** Null when {@code url} is an acceptable target at creation, else why not. */
  String problem(String url) {
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      return "webhook.url must be a valid URL";
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    String host = u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT);
    if (host.isEmpty() || u.getRawUserInfo() != null) {
      return "webhook.url needs a host and no user info";
    }
    boolean loopbackName = host.equals("localhost") || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    if (scheme.equals("http")) {
      if (!loopbackName) {
        return "http webhook URLs are only allowed for localhost or 127.0.0.x";
      }
      return loopbackAllowed ? null : "webhooks to localhost are disabled on this server (--webhook-loopback-allowed)";
    }
    if (!scheme.equals("https")) {
      return "webhook.url must use https";
    }
    if (loopbackName) {
      return loopbackAllowed ? null : "webhooks to localhost are disabled on this server (--webhook-loopback-allowed)";
    }
    if (host.startsWith("[") || host.contains(":")) {
      return "IPv6 literal webhook hosts are not accepted";
    }
    if (host.matches("[0-9.]+")) {
      try {
        return forbidden(InetAddress.getByName(host));
      } catch (UnknownHostException e) {
        return "webhook.url host is not a valid address";
      }
    }
    return null;
  }

  /**
   * Null when every address {@code host} resolves to now may receive a webhook, else why not.
   * Blocks on DNS: call off the engine thread.
   */
  String resolvedProblem(String host) {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        String why = forbidden(a);
        if (why != null) {
          return host + " resolves to " + a.getHostAddress() + ": " + why;
        }
      }
      return null;
    } catch (UnknownHostException e) {
      return "cannot resolve " + host;
    }
  }

  private String forbidden(InetAddress a) {
    if (a.isLoopbackAddress()) {
      return loopbackAllowed ? null : "webhook.url must not target loopback addresses";
    }
    if (a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress() || a.isMulticastAddress()
        || uniqueLocalOrCgnat(a.getAddress())) {
      return "webhook.url must not target private or link-local hosts";
    }
    return null;
  }

  /** fc00::/7 (IPv6 unique local) and 100.64.0.0/10 (carrier-grade NAT), which InetAddress does not flag. */
  private static boolean uniqueLocalOrCgnat(byte[] b) {
    if (b.length == 16) {
      return (b[0] & 0xfe) == 0xfc;
    }
    return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
  }
}
