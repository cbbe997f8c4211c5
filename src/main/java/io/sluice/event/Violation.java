package io.sluice.event;

/** One broken rule of one event: where ({@code order.items[0].quantity}) and what. */
public record Violation(String field, String message) {
}
