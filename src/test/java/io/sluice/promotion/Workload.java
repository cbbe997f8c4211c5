package io.sluice.promotion;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * A synthetic shop for promotion tests: product views and cart events whose prices change over three days (so SCD 2
 * has history), and purchases of 1-3 lines. Every id carries a prefix unique to the workload, and its days and
 * currency are drawn at random, so its silver and gold rows can be told apart from every other test's.
 */
final class Workload {

    /** One delivery of an event: its JSON and the channel it comes by. */
    record Delivery(String eventId, String json, boolean kafka) {
    }

    final String prefix;
    final LocalDate firstDay;
    final String currency;
    final List<Delivery> events = new ArrayList<>();
    private final Random random;
    private final int skus;
    private final int users;

    Workload(long seed, int size) {
        this(seed, size, randomDay());
    }

    /** Same seed and size: the same events (up to prefix and currency). */
    Workload(long seed, int size, LocalDate firstDay) {
        this(seed, size, firstDay, 12, 40);
    }

    /** A workload over a given number of skus and users (the benchmark uses many). */
    Workload(long seed, int size, LocalDate firstDay, int skus, int users) {
        this.random = new Random(seed);
        this.skus = skus;
        this.users = users;
        this.prefix = "wl" + UUID.randomUUID().toString().substring(0, 8);
        this.firstDay = firstDay;
        List<Currency> currencies = new ArrayList<>(Currency.getAvailableCurrencies());
        currencies.sort(Comparator.comparing(Currency::getCurrencyCode));
        this.currency = currencies.get(new Random().nextInt(currencies.size())).getCurrencyCode();
        for (int i = 0; i < size; i++) {
            events.add(next(i));
        }
    }

    static LocalDate randomDay() {
        return LocalDate.of(1950, 1, 1).plusDays(new Random().nextInt(25_000));
    }

    static String ts(OffsetDateTime at) {
        return at.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    String sku(int k) {
        return prefix + "-sku-" + k;
    }

    private Delivery next(int i) {
        String eventId = prefix + "-evt-" + i;
        OffsetDateTime at = firstDay.atStartOfDay().atOffset(ZoneOffset.UTC).plusSeconds(random.nextInt(3 * 86_400));
        String user = prefix + "-user-" + random.nextInt(users);
        int kind = random.nextInt(10);
        String json;
        if (kind < 4) {
            json = productEvent(eventId, "product_view", user, at, random.nextInt(skus), null);
        } else if (kind < 6) {
            json = productEvent(eventId, "add_to_cart", user, at, random.nextInt(skus), 1 + random.nextInt(3));
        } else if (kind < 7) {
            json = productEvent(eventId, "remove_from_cart", user, at, random.nextInt(skus), 1);
        } else if (kind < 9) {
            json = purchase(eventId, user, at, 1 + random.nextInt(3), random.nextInt(4));
        } else {
            json = """
                    {"event_id":"%s","event_type":"page_view","occurred_at":"%s","anonymous_id":"%s-anon",
                     "page":{"url":"https://shop.example/%s"}}""".formatted(eventId, ts(at), prefix, i);
        }
        return new Delivery(eventId, json, random.nextBoolean());
    }

    /** The price of a sku at a time: it changes every 16 hours, so each sku has about five versions. */
    String price(int k, OffsetDateTime at) {
        long epoch = (at.toEpochSecond() - firstDay.atStartOfDay().toEpochSecond(ZoneOffset.UTC)) / (16 * 3600);
        return BigDecimal.valueOf(1000 + k * 100 + epoch * 7, 2).toPlainString();
    }

    String productEvent(String eventId, String type, String user, OffsetDateTime at, int k, Integer quantity) {
        return """
                {"event_id":"%s","event_type":"%s","occurred_at":"%s","user_id":"%s",%s
                 "product":{"sku":"%s","name":"Item %d","category":"cat-%d","brand":"Acme","price":%s,"currency":"%s"}}"""
                .formatted(eventId, type, ts(at), user, quantity == null ? "" : "\"quantity\":" + quantity + ",",
                        sku(k), k,
                        k % 3, price(k, at), currency);
    }

    String purchase(String eventId, String user, OffsetDateTime at, int lines, int extraQuantity) {
        StringBuilder items = new StringBuilder();
        for (int line = 0; line < lines; line++) {
            int k = random.nextInt(skus);
            items.append(line == 0 ? "" : ",").append("""
                    {"sku":"%s","quantity":%d,"unit_price":%s}""".formatted(sku(k), 1 + line + extraQuantity,
                    price(k, at)));
        }
        return """
                {"event_id":"%s","event_type":"purchase","occurred_at":"%s","user_id":"%s",
                 "context":{"ip":"198.51.100.%d"},
                 "order":{"order_id":"%s-order","currency":"%s","total":1,"items":[%s]}}"""
                .formatted(eventId, ts(at), user, random.nextInt(255), eventId, currency, items);
    }

    /** Each event delivered 1 to 3 times (same payload, any channel), in a random order. */
    List<Delivery> deliveries(long seed) {
        Random order = new Random(seed);
        List<Delivery> deliveries = new ArrayList<>();
        for (Delivery event : events) {
            int copies = 1 + order.nextInt(3);
            for (int c = 0; c < copies; c++) {
                deliveries.add(new Delivery(event.eventId(), event.json(), order.nextBoolean()));
            }
        }
        Collections.shuffle(deliveries, order);
        return deliveries;
    }

    /**
     * Each event once, as live traffic: in occurred_at order, except a share of late events that arrive between one
     * hour and two days after they occurred (mobile clients coming back online).
     */
    List<Delivery> live(long seed, double lateShare) {
        Random order = new Random(seed);
        List<Map.Entry<Long, Delivery>> arrivals = new ArrayList<>();
        for (Delivery event : events) {
            long at = occurredAt(event).toEpochSecond();
            if (order.nextDouble() < lateShare) {
                at += 3600 + order.nextInt(2 * 86_400 - 3600);
            }
            arrivals.add(Map.entry(at, new Delivery(event.eventId(), event.json(), order.nextBoolean())));
        }
        arrivals.sort(Map.Entry.comparingByKey());
        return arrivals.stream().map(Map.Entry::getValue).toList();
    }

    /** Each event once, in an order unrelated to occurred_at. */
    List<Delivery> shuffled(long seed) {
        List<Delivery> deliveries = new ArrayList<>(events);
        Collections.shuffle(deliveries, new Random(seed));
        return deliveries;
    }

    static OffsetDateTime occurredAt(Delivery delivery) {
        int at = delivery.json().indexOf("\"occurred_at\":\"") + "\"occurred_at\":\"".length();
        return OffsetDateTime.parse(delivery.json().substring(at, delivery.json().indexOf('"', at)));
    }

    /** SQL predicates and the text replacements that make two workloads' rows comparable. */
    String normalise(String text) {
        return text.replace(prefix, "P");
    }
}
