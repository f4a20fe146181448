package io.tributary.service;

/** The idempotent-producer triple of a request ({@code Producer-Id/-Epoch/-Seq}). Immutable. */
public record ProducerIds(String id, long epoch, long seq) {}
