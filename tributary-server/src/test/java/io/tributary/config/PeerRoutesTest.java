package io.tributary.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Goal: {@code --peer-routes} names where this node dials other peers of {@code --peers} and
 * nothing else: each route is id=host:port for another node, at most once. Method: resolve configs
 * from values, no node.
 */
class PeerRoutesTest {
  private static final String PEERS = "n1=127.0.0.1:4438:8080,n2=127.0.0.1:4448:8081,n3=127.0.0.1:4458:8082";

  private static TributaryConfig config(String routes) {
    Map<String, String> m = new HashMap<>(Map.of("peers", PEERS, "node-id", "n1"));
    m.put("peer-routes", routes);
    return TributaryConfig.fromValues(m);
  }

  @Test
  void routesNameOtherPeers() {
    assertThat(config("").listeners().peerRoutes()).as("none: every peer dialled at its --peers address")
        .isEmpty();
    assertThat(config("n2=10.9.0.2:7000, n3=proxy.internal:7001").listeners().peerRoutes()).isEqualTo(Map.of(
        "n2", new ListenersConfig.PeerRoute("10.9.0.2", 7000), "n3", new ListenersConfig.PeerRoute("proxy.internal", 7001)));
  }

  @Test
  void badRoutesAreRefused() {
    assertThatThrownBy(() -> config("n4=10.0.0.4:7000")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("not another node of --peers");
    assertThatThrownBy(() -> config("n1=10.0.0.1:7000")).as("this node itself")
        .isInstanceOf(ConfigException.class).hasMessageContaining("not another node");
    assertThatThrownBy(() -> config("n2=10.0.0.2:7000,n2=10.0.0.3:7000")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("routed twice");
    assertThatThrownBy(() -> config("n2=10.0.0.2")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected id=host:port");
    assertThatThrownBy(() -> config("n2=10.0.0.2:70000")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("1..65535");
  }
}
