/**
 * Cold tier: the object-store side of tiered storage (S3 or a shared directory). Reserved: the
 * single-node foundation keeps all data hot; tiering lands here. May import only
 * {@code io.tributary.common} (and, in the S3 store only, the AWS SDK).
 */
package io.tributary.cold;
