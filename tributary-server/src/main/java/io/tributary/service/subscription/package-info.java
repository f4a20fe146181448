/**
 * Push subscriptions, the protocol's optional {@code __ds} part (docs/subscriptions.md): webhook
 * and pull-wake subscriptions over stream-name patterns and explicit stream lists, with leases,
 * fencing by wake generation, Ed25519-signed deliveries and a JWKS of the signing keys. The state is
 * a fold of a replicated {@link io.tributary.service.SystemLog}, so every node answers reads and
 * the leader of that log's group is the one node that delivers. Sits beside the service layer:
 * may import {@code io.tributary.service}, {@code io.tributary.config}, {@code io.tributary.common};
 * never Netty.
 */
package io.tributary.service.subscription;
