package io.sluice.event;

import java.util.Optional;

/** The event types Sluice knows, by their wire names. */
public enum EventType {

    PAGE_VIEW("page_view"), PRODUCT_VIEW("product_view"), ADD_TO_CART("add_to_cart"), REMOVE_FROM_CART(
            "remove_from_cart"), PURCHASE("purchase");

    private static final EventType[] VALUES = values();

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public boolean needsProduct() {
        return this == PRODUCT_VIEW || this == ADD_TO_CART || this == REMOVE_FROM_CART;
    }

    public boolean isCart() {
        return this == ADD_TO_CART || this == REMOVE_FROM_CART;
    }

    public static Optional<EventType> fromWire(String name) {
        for (EventType type : VALUES) {
            if (type.wireName.equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
