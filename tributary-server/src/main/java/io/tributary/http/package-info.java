/**
 * The HTTP/1.1 front door on Netty: connection limits and timeouts, route families onto one
 * {@code StreamKey}, protocol header parsing and rendering, SSE sessions and parked long-polls.
 * TLS per listener ({@link io.tributary.http.ServerTls}, reloaded on its own thread). Runs on Netty
 * event loops and never blocks them. May import {@code io.tributary.service}, {@code io.tributary.common},
 * {@code io.tributary.config}, {@code io.tributary.auth}, {@code io.tributary.tls} and Netty; never
 * the engine, state or storage.
 */
package io.tributary.http;
