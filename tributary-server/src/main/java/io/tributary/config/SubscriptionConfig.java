package io.tributary.config;

/**
 * Push subscriptions ({@code /v1/stream/__ds/}, docs/subscriptions.md). Each field is the
 * {@link Setting} of the same name. Immutable.
 *
 * @param subscriptionsMax            subscriptions the cluster holds; creating more answers 429
 * @param subscriptionStreamsMax      streams linked to one subscription (explicit and by pattern)
 * @param webhookLoopbackAllowed      true: webhooks may target http://localhost and 127.0.0.0/8 (development)
 * @param webhookTimeoutMillis        a webhook delivery's connect-and-answer deadline
 * @param logCheckpointBytes          events folded since the last checkpoint after which the
 *                                    subscription log is compacted (a checkpoint, the prefix dropped)
 * @param signingKeyFile              PEM file of the Ed25519 keys that sign webhooks (first signs), or
 *                                    null for a key the cluster generates and keeps in the subscription log
 */
public record SubscriptionConfig(int subscriptionsMax, int subscriptionStreamsMax, boolean webhookLoopbackAllowed,
    long webhookTimeoutMillis, long logCheckpointBytes, java.nio.file.Path signingKeyFile) {}
