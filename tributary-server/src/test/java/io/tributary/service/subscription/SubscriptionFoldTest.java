package io.tributary.service.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal: the fold decides every contested outcome from the events alone, the same on every node:
 * a second claim loses, a stale acknowledgement is fenced, an acknowledgement never regresses,
 * a webhook's done acknowledges exactly the tails its wake was issued for, an expiry of an older
 * generation does nothing, a repeated create confirms or conflicts by configuration, and an event
 * it does not know stops it instead of being skipped. Method: events as JSON, applied to two
 * folds, whose states are compared.
 */
class SubscriptionFoldTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String A = "0000000000000000_0000000000000100";
  private static final String B = "0000000000000000_0000000000000200";

  private static JsonNode ev(String json) {
    try {
      return JSON.readTree(json.replace('\'', '"'));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode create(String id, String type, String hash) {
    return ev("{'ev':'create','sub':'" + id + "','type':'" + type + "','pattern':'events/*','wake_stream':'wake/w',"
        + "'lease_ttl_ms':1000,'created_at':'t','hash':'" + hash + "','secret':'c2VjcmV0','base':'http://h',"
        + "'links':[{'path':'events/a','explicit':false,'acked':'-1'}]}");
  }

  private static List<JsonNode> pullStory() {
    return List.of(create("p", "pull-wake", "h1"),
        ev("{'ev':'claim','sub':'p','worker':'w1','wake_id':'W1','tails':{'events/a':'" + A + "'}}"),
        ev("{'ev':'claim','sub':'p','worker':'w2','wake_id':'W9','tails':{'events/a':'" + A + "'}}"),
        ev("{'ev':'ack','sub':'p','token_generation':1,'token_wake':'W1','wake_id':'W1','generation':1,"
            + "'acks':[{'stream':'events/a','offset':'" + A + "'}],'done':true}"),
        ev("{'ev':'ack','sub':'p','token_generation':1,'token_wake':'W1','wake_id':'W1','generation':1,"
            + "'acks':[{'stream':'events/a','offset':'" + A + "'}],'done':true}"));
  }

  @Test
  void contestedOutcomesAreDecidedByTheEventsAloneAndAlikeOnEveryNode() {
    SubscriptionFold one = new SubscriptionFold(10, 10);
    SubscriptionFold two = new SubscriptionFold(10, 10);
    List<Integer> statuses = pullStory().stream().map(e -> one.apply(e).status()).toList();
    pullStory().forEach(two::apply);
    assertThat(statuses).as("create, first claim, second claim, ack done, the same ack again")
        .containsExactly(201, 200, 409, 200, 409);
    for (SubscriptionFold f : List.of(one, two)) {
      Subscription s = f.get("p");
      assertThat(s.generation).isEqualTo(1);
      assertThat(s.wakeId).as("done ended the wake").isNull();
      assertThat(s.holder).isNull();
      assertThat(s.links.get("events/a").acked).isEqualTo(A);
    }
    Reply busy = fresh().apply(ev("{'ev':'claim','sub':'p','worker':'w2'}"));
    assertThat(busy.status()).isEqualTo(409);
  }

  private static SubscriptionFold fresh() {
    SubscriptionFold f = new SubscriptionFold(10, 10);
    f.apply(create("p", "pull-wake", "h1"));
    f.apply(ev("{'ev':'claim','sub':'p','worker':'w1','wake_id':'W1','tails':{'events/a':'" + A + "'}}"));
    return f;
  }

  @Test
  void aSecondClaimNamesTheHolderAndAClaimWithoutPendingWorkIsRefused() {
    SubscriptionFold f = fresh();
    Reply r = f.apply(ev("{'ev':'claim','sub':'p','worker':'w2'}"));
    assertThat(r.body().path("error").path("code").asText()).isEqualTo("ALREADY_CLAIMED");
    assertThat(r.body().path("error").path("current_holder").asText()).isEqualTo("w1");
    SubscriptionFold idle = new SubscriptionFold(10, 10);
    idle.apply(create("p", "pull-wake", "h1"));
    assertThat(idle.apply(ev("{'ev':'claim','sub':'p','worker':'w2'}")).body().path("error").path("code").asText())
        .as("no tails in the event: the claiming node saw nothing pending").isEqualTo("NO_PENDING_WORK");
  }

  @Test
  void acknowledgementsAreFencedByWakeAndTokenAndNeverRegress() {
    SubscriptionFold f = fresh();
    String stale = "{'ev':'ack','sub':'p','token_generation':0,'token_wake':'W0','wake_id':'W1','generation':1,'acks':[]}";
    assertThat(f.apply(ev(stale)).body().path("error").path("code").asText()).as("a token of another wake")
        .isEqualTo("FENCED");
    String forward = "{'ev':'ack','sub':'p','token_generation':1,'token_wake':'W1','wake_id':'W1','generation':1,"
        + "'acks':[{'stream':'events/a','offset':'" + B + "'}]}";
    assertThat(f.apply(ev(forward)).status()).isEqualTo(200);
    String back = forward.replace(B, A);
    assertThat(f.apply(ev(back)).body().path("error").path("code").asText()).isEqualTo("INVALID_OFFSET");
    assertThat(f.get("p").links.get("events/a").acked).isEqualTo(B);
    String unknown = forward.replace("events/a", "events/zzz");
    assertThat(f.apply(ev(unknown)).body().path("error").path("code").asText()).isEqualTo("INVALID_OFFSET");
  }

  @Test
  void aWebhooksDoneAcknowledgesTheTailsItsWakeWasIssuedForAndAnOldExpiryDoesNothing() {
    SubscriptionFold f = new SubscriptionFold(10, 10);
    f.apply(create("w", "webhook", "h"));
    f.apply(ev("{'ev':'wake','sub':'w','generation':1,'wake_id':'W1','tails':{'events/a':'" + A + "'}}"));
    f.apply(ev("{'ev':'wake','sub':'w','generation':1,'wake_id':'W2','tails':{}}")); // a duplicate wake: ignored
    assertThat(f.get("w").wakeId).isEqualTo("W1");
    f.apply(ev("{'ev':'expire','sub':'w','generation':0}"));
    assertThat(f.get("w").wakeId).as("an expiry of an older generation").isEqualTo("W1");
    f.apply(ev("{'ev':'auto_done','sub':'w','wake_id':'W1','generation':1}"));
    assertThat(f.get("w").links.get("events/a").acked).isEqualTo(A);
    assertThat(f.get("w").wakeId).isNull();
    f.apply(ev("{'ev':'wake','sub':'w','generation':2,'wake_id':'W3','tails':{}}"));
    f.apply(ev("{'ev':'expire','sub':'w','generation':2}"));
    assertThat(f.get("w").wakeId).isNull();
    assertThat(f.get("w").generation).as("the next wake gets a new generation").isEqualTo(2);
  }

  @Test
  void aRepeatedCreateConfirmsOrConflictsAndTheCountIsBounded() {
    SubscriptionFold f = new SubscriptionFold(2, 10);
    assertThat(f.apply(create("a", "webhook", "h1")).status()).isEqualTo(201);
    assertThat(f.apply(create("a", "webhook", "h1")).status()).isEqualTo(200);
    assertThat(f.apply(create("a", "webhook", "h2")).body().path("error").path("code").asText())
        .isEqualTo("SUBSCRIPTION_ALREADY_EXISTS");
    assertThat(f.apply(create("b", "webhook", "h1")).status()).isEqualTo(201);
    assertThat(f.apply(create("c", "webhook", "h1")).status()).isEqualTo(429);
    assertThat(f.apply(ev("{'ev':'delete','sub':'c'}")).status()).isEqualTo(404);
    assertThat(f.apply(ev("{'ev':'delete','sub':'b'}")).status()).isEqualTo(204);
  }

  @Test
  void aCheckpointRestoresExactlyTheStateItWasTakenFrom() {
    SubscriptionFold f = fresh();
    f.apply(create("w", "webhook", "h2"));
    f.apply(ev("{'ev':'wake','sub':'w','generation':1,'wake_id':'W1','tails':{'events/a':'" + A + "'}}"));
    f.apply(ev("{'ev':'link','sub':'w','links':[{'path':'manual/x','explicit':true,'acked':'" + B + "'}]}"));
    f.apply(ev("{'ev':'create','sub':'k','type':'webhook','hash':'h','secret':'c2VjcmV0','base':'b','links':[],"
        + "'key':{'pkcs8':'" + KEY.pkcs8() + "','x':'" + KEY.x() + "'}}"));
    SubscriptionFold restored = new SubscriptionFold(10, 10);
    restored.apply(create("gone", "webhook", "h"));
    restored.restore(f.export());
    assertThat(restored.export()).isEqualTo(f.export());
    assertThat(restored.get("gone")).as("state before the checkpoint is replaced, not merged").isNull();
    assertThat(restored.get("p").holder).isEqualTo("w1");
    assertThat(restored.key().kid()).isEqualTo(KEY.kid());
    assertThat(restored.apply(ev("{'ev':'claim','sub':'p','worker':'w2'}")).status()).as("decides as before")
        .isEqualTo(409);
  }

  private static final SigningKey KEY = SigningKey.generate();

  @Test
  void anEventItDoesNotKnowStopsTheFold() {
    assertThatThrownBy(() -> new SubscriptionFold(1, 1).apply(ev("{'ev':'teleport','sub':'x'}")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("teleport");
  }
}
