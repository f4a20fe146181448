package io.tributary.service.subscription;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Goal: webhooks go only where docs/subscriptions.md allows: https to public hosts; http and
 * loopback only with the development setting; never private, link-local, carrier-grade-NAT or
 * unique-local addresses, by literal or by what a name resolves to; and patterns match whole
 * segments. Method: the rules on literal URLs and on names this machine resolves (localhost).
 */
class WebhookTargetsTest {
  private final WebhookTargets strict = new WebhookTargets(false);
  private final WebhookTargets dev = new WebhookTargets(true);

  @Test
  void onlyPublicHttpsTargetsUnlessLoopbackIsAllowed() {
    assertThat(strict.problem("https://hooks.example.com/x")).isNull();
    assertThat(strict.problem("http://hooks.example.com/x")).contains("only allowed for localhost");
    assertThat(strict.problem("http://127.0.0.1:8080/hook")).contains("--webhook-loopback-allowed");
    assertThat(dev.problem("http://127.0.0.1:8080/hook")).isNull();
    assertThat(dev.problem("http://localhost:8080/hook")).isNull();
    for (String url : new String[] {"https://10.0.0.1/h", "https://192.168.1.2/h", "https://172.16.0.1/h",
        "https://169.254.169.254/latest/meta-data", "https://100.64.0.1/h", "https://0.0.0.0/h", "https://[fd00::1]/h",
        "http://10.0.0.1/hook", "ftp://example.com/", "https://user:pw@example.com/", "not a url"}) {
      assertThat(dev.problem(url)).as(url).isNotNull();
    }
  }

  @Test
  void whatANameResolvesToIsCheckedAtDelivery() {
    assertThat(strict.resolvedProblem("localhost")).contains("loopback");
    assertThat(dev.resolvedProblem("localhost")).isNull();
    assertThat(strict.resolvedProblem("no-such-host.invalid")).contains("cannot resolve");
  }

  @Test
  void patternsMatchWholeSegments() {
    assertThat(new Glob("events/*").matches("events/a")).isTrue();
    assertThat(new Glob("events/*").matches("events/a/b")).isFalse();
    assertThat(new Glob("events/*").matches("events")).isFalse();
    assertThat(new Glob("events/**").matches("events")).isTrue();
    assertThat(new Glob("events/**").matches("events/a/b")).isTrue();
    assertThat(new Glob("**/log").matches("a/b/log")).isTrue();
    assertThat(new Glob("**/log").matches("a/b/logs")).isFalse();
    assertThat(new Glob("events/*/log").literalPrefix()).isEqualTo("events/");
    assertThat(new Glob("**/log").literalPrefix()).isEmpty();
    assertThat(new Glob("events/a").literalPrefix()).isEqualTo("events/a");
    assertThat(Glob.problem("events/a*")).isNotNull();
    assertThat(Glob.problem("events//x")).isNotNull();
  }
}
