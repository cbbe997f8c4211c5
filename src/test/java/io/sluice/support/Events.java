package io.sluice.support;

import java.util.UUID;

/** Sample events in the native JSON format, each with a fresh event_id unless one is given. */
public final class Events {

    private Events() {
    }

    public static String freshId() {
        return "evt-" + UUID.randomUUID();
    }

    public static String pageView(String eventId) {
        return """
                {"event_id":"%s","event_type":"page_view","occurred_at":"2026-11-20T10:00:00Z",
                 "anonymous_id":"anon-1","page":{"url":"https://shop.example/home","title":"Home"}}"""
                .formatted(eventId);
    }

    public static String productView(String eventId, String sku, String price, String occurredAt) {
        return """
                {"event_id":"%s","event_type":"product_view","occurred_at":"%s","user_id":"user-1",
                 "product":{"sku":"%s","name":"Mug","category":"kitchen","brand":"Acme","price":%s,"currency":"EUR"}}"""
                .formatted(eventId, occurredAt, sku, price);
    }

    public static String purchase(String eventId, String sku, int quantity, String unitPrice) {
        return """
                {"event_id":"%s","event_type":"purchase","occurred_at":"2026-11-20T11:00:00Z","user_id":"user-1",
                 "context":{"ip":"203.0.113.7","user_agent":"test"},
                 "order":{"order_id":"order-%s","currency":"EUR","total":%s,
                          "items":[{"sku":"%s","quantity":%d,"unit_price":%s}]},
                 "coupon":"WINTER"}"""
                .formatted(eventId, eventId, new java.math.BigDecimal(unitPrice).multiply(
                        java.math.BigDecimal.valueOf(quantity)).toPlainString(), sku, quantity, unitPrice);
    }
}
