/**
 * A small HTTP/1.1 client for load generation: keep-alive connections on one (or a few) Netty
 * event loops, raw request bytes out, Netty's response decoder in, no aggregation. Every
 * connection and everything a response callback touches belongs to the connection's event loop.
 * May import Netty; must not import anything from the server.
 */
package io.tributary.bench.client;
