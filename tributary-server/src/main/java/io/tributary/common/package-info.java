/**
 * Value types shared by every layer: {@link io.tributary.common.StreamKey}, the offset codec,
 * the injected {@link io.tributary.common.Clock}. Imports nothing else of the project.
 */
package io.tributary.common;
