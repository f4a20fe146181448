/** Integration tests of the Java SDK (tributary-client) against real nodes; the cluster ones live in io.tributary.cluster. */
package io.tributary.sdk;
