/**
 * The Durable Streams Protocol's vocabulary as Tributary speaks it, shared by the server and the
 * Java SDK: {@link io.tributary.protocol.Headers header names}, the {@link io.tributary.protocol.Offsets
 * offset codec} and the {@link io.tributary.protocol.ErrorReason reasons} a failed request maps to.
 * Pure functions and constants, no state, no dependencies (JDK only).
 */
package io.tributary.protocol;
