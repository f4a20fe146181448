/**
 * The stream operations of the protocol, independent of HTTP: create, append, close, delete,
 * read, watch, fork. Returns futures and plain result records; never exposes the engine, storage or
 * state-machine types to callers. May import {@code io.tributary.group}, {@code io.tributary.state},
 * {@code io.tributary.storage}, {@code io.tributary.common} and {@code io.tributary.config}; never Netty.
 */
package io.tributary.service;
