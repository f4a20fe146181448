/**
 * The Java SDK for Tributary (docs/client.md): {@link io.tributary.client.TributaryClient} and its
 * stream handles, the exactly-once {@link io.tributary.client.Producer}, tailing with SSE or
 * long-poll, bootstrap-then-tail, and typed failures ({@link io.tributary.client.TributaryException}).
 * Depends on the JDK and tributary-protocol only.
 */
package io.tributary.client;
