package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a subscription request answers: an HTTP status and a JSON body (null: none, as for 204).
 * Errors carry {@code {"error":{"code","message",...}}} with the protocol's codes. Immutable once built.
 */
public record Reply(int status, ObjectNode body) {
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  static Reply ok(int status) {
    return new Reply(status, null);
  }

  static Reply of(int status, ObjectNode body) {
    return new Reply(status, body);
  }

  static Reply error(int status, String code, String message) {
    ObjectNode e = JSON.objectNode();
    e.put("code", code);
    e.put("message", message);
    ObjectNode b = JSON.objectNode();
    b.set("error", e);
    return new Reply(status, b);
  }

  static Reply invalid(String message) {
    return error(400, "INVALID_REQUEST", message);
  }

  static Reply notFound() {
    return error(404, "SUBSCRIPTION_NOT_FOUND", "Subscription not found");
  }

  static Reply fenced() {
    return error(409, "FENCED", "Wake generation is stale");
  }

  boolean success() {
    return status < 300;
  }

  /** The error object, to add fields to (ALREADY_CLAIMED names the holder). */
  ObjectNode errorObject() {
    return (ObjectNode) body.get("error");
  }
}
