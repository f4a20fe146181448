package io.tributary.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Goal: {@code --peer-routes} names where this node dials other peers of {@code --peers} and
 * nothing else: each route is id=host:port for another node, at most once, and only on the jraft
 * engine (Ratis would ignore it). Method: resolve configs from values, no node.
 */
class PeerRoutesTest {
  private static final String PEERS = "n1=127.0.0.1:4438:8080,n2=127.0.0.1:4448:8081,n3=127.0.0.1:4458:8082";

  private static TributaryConfig config(String routes, String engine) {
    Map<String, String> m = new HashMap<>(Map.of("peers", PEERS, "node-id", "n1", "engine", engine));
    m.put("peer-routes", routes);
    return TributaryConfig.fromValues(m);
  }

  @Test
  void routesNameOtherPeers() {
    assertThat(config("", "jraft").listeners().peerRoutes()).as("none: every peer dialled at its --peers address")
        .isEmpty();
    assertThat(config("n2=10.9.0.2:7000, n3=proxy.internal:7001", "jraft").listeners().peerRoutes()).isEqualTo(Map.of(
        "n2", new ListenersConfig.PeerRoute("10.9.0.2", 7000), "n3", new ListenersConfig.PeerRoute("proxy.internal", 7001)));
  }

  @Test
  void badRoutesAreRefused() {
    assertThatThrownBy(() -> config("n4=10.0.0.4:7000", "jraft")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("not another node of --peers");
    assertThatThrownBy(() -> config("n1=10.0.0.1:7000", "jraft")).as("this node itself")
        .isInstanceOf(ConfigException.class).hasMessageContaining("not another node");
    assertThatThrownBy(() -> config("n2=10.0.0.2:7000,n2=10.0.0.3:7000", "jraft")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("routed twice");
    assertThatThrownBy(() -> config("n2=10.0.0.2", "jraft")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected id=host:port");
    assertThatThrownBy(() -> config("n2=10.0.0.2:70000", "jraft")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("1..65535");
    assertThatThrownBy(() -> config("n2=10.0.0.2:7000", "ratis")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("only the jraft engine");
  }
}
