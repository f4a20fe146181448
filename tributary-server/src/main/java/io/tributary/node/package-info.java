/**
 * The composition root: builds a node from its config (consensus engine, service, HTTP server),
 * starts and stops it, and exposes its metrics. May import every package of the project.
 */
package io.tributary.node;
