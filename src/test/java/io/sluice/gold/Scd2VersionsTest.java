package io.sluice.gold;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.promotion.ManualPromotionProfile;

/**
 * The SCD 2 units of R__gold_functions.sql ({@code gold.fit_product_events}, {@code gold.rebuild_products}) on crafted
 * silver rows, in a transaction that is rolled back: every case of fitting an event into a sku's history, each checked
 * against the definition ({@code gold.product_history}) and against the facts, which must point at the version valid at
 * their time.
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class Scd2VersionsTest {

    private static final String DAY = "2001-02-03";

    private final String sku = "scd2-" + UUID.randomUUID().toString().substring(0, 8);

    /** A product event: id, time (HH:MM), price. */
    record View(String id, String time, String price) {
    }

    @Test
    void inOrderChangesOpenAVersionAtEachNewPriceAndOnlyTheLastIsCurrent() {
        try (GoldSql db = new GoldSql()) {
            for (View v : List.of(new View("a", "10:00", "10"), new View("b", "12:00", "10"),
                    new View("c", "14:00", "12"), new View("d", "16:00", "12"), new View("e", "18:00", "13"))) {
                fit(db, v);
            }
            assertThat(versions(db)).containsExactly("10:00|14:00|10|false", "14:00|18:00|12|false",
                    "18:00|-|13|true");
            assertMatchesDefinition(db);
        }
    }

    @Test
    void outOfOrderArrivalsGiveTheSameVersionsAndFactsAsInOrder() {
        List<View> views = List.of(new View("a", "07:00", "5"), new View("b", "09:00", "6"),
                new View("c", "12:00", "6"), new View("d", "16:00", "5"), new View("e", "18:00", "7"));
        List<String> inOrder;
        List<String> inOrderFacts;
        try (GoldSql db = new GoldSql()) {
            facts(db, "08:00", "13:00", "19:00", "06:00");
            views.forEach(v -> fit(db, v));
            inOrder = versions(db);
            inOrderFacts = factPrices(db);
            assertMatchesDefinition(db);
        }
        assertThat(inOrder).containsExactly("07:00|09:00|5|false", "09:00|16:00|6|false", "16:00|18:00|5|false",
                "18:00|-|7|true");
        assertThat(inOrderFacts).containsExactly("06:00|5", "08:00|5", "13:00|6", "19:00|7");
        try (GoldSql db = new GoldSql()) {
            facts(db, "08:00", "13:00", "19:00", "06:00");
            List<View> backwards = new ArrayList<>(views);
            Collections.reverse(backwards);
            backwards.forEach(v -> fit(db, v));
            assertThat(versions(db)).isEqualTo(inOrder);
            assertThat(factPrices(db)).isEqualTo(inOrderFacts);
        }
        try (GoldSql db = new GoldSql()) {
            facts(db, "08:00", "13:00", "19:00", "06:00");
            fit(db, views.get(2), views.get(4));
            fit(db, views.get(0), views.get(3), views.get(1));
            assertThat(versions(db)).isEqualTo(inOrder);
            assertThat(factPrices(db)).isEqualTo(inOrderFacts);
        }
    }

    @Test
    void aLateEventBeforeAllHistoryBecomesTheFirstVersionAndTakesTheEarlierFacts() {
        try (GoldSql db = new GoldSql()) {
            fit(db, new View("a", "10:00", "10"));
            facts(db, "08:00", "11:00");
            Object firstKey = key(db, "10:00");
            Object laterFact = factKey(db, "11:00");

            fit(db, new View("b", "06:00", "9"));
            assertThat(versions(db)).containsExactly("06:00|10:00|9|false", "10:00|-|10|true");
            assertThat(factPrices(db)).containsExactly("08:00|9", "11:00|10");
            assertThat(key(db, "10:00")).isEqualTo(firstKey);
            assertThat(factKey(db, "11:00")).isEqualTo(laterFact);

            // earlier still, with the first version's attributes: the first version starts earlier
            fit(db, new View("c", "05:00", "9"));
            assertThat(versions(db)).containsExactly("05:00|10:00|9|false", "10:00|-|10|true");
            assertThat(factPrices(db)).containsExactly("08:00|9", "11:00|10");
            assertThat(key(db, "10:00")).isEqualTo(firstKey);
            assertMatchesDefinition(db);
        }
    }

    @Test
    void atTheSameInstantTheGreatestEventIdWinsWhateverTheArrivalOrder() {
        try (GoldSql db = new GoldSql()) {
            fit(db, new View("e1", "10:00", "10"), new View("e5", "14:00", "12"));
            facts(db, "12:00", "13:00");
            fit(db, new View("e3", "12:00", "11"));
            assertThat(versions(db)).containsExactly("10:00|12:00|10|false", "12:00|14:00|11|false",
                    "14:00|-|12|true");
            // a smaller event_id at the same instant loses: nothing changes
            fit(db, new View("e2", "12:00", "20"));
            assertThat(versions(db)).containsExactly("10:00|12:00|10|false", "12:00|14:00|11|false",
                    "14:00|-|12|true");
            // a greater one wins: the version at 12:00 takes its attributes
            fit(db, new View("e4", "12:00", "20"));
            assertThat(versions(db)).containsExactly("10:00|12:00|10|false", "12:00|14:00|20|false",
                    "14:00|-|12|true");
            assertThat(factPrices(db)).containsExactly("12:00|20", "13:00|20");
            // both in one batch: the greater wins too
            fit(db, new View("e7", "16:00", "30"), new View("e6", "16:00", "31"));
            assertThat(versions(db)).endsWith("16:00|-|30|true");
            assertMatchesDefinition(db);
        }
    }

    @Test
    void anEventWithTheAttributesOfItsVersionChangesNothing() {
        try (GoldSql db = new GoldSql()) {
            fit(db, new View("a", "10:00", "10"), new View("b", "14:00", "12"));
            facts(db, "11:00", "15:00");
            List<String> before = db.column(
                    "SELECT product_key || '|' || valid_from || '|' || coalesce(valid_to::text, '-') FROM gold.dim_product WHERE sku = ? ORDER BY 1",
                    sku);
            List<String> factsBefore = db.column(
                    "SELECT event_id || '|' || product_key || '|' || ctid FROM gold.fact_order_line WHERE sku = ? ORDER BY 1",
                    sku);

            assertThat(fit(db, new View("c", "12:00", "10"), new View("d", "16:00", "12"), new View("e", "10:00",
                    "10"))).isZero();

            assertThat(db.column(
                    "SELECT product_key || '|' || valid_from || '|' || coalesce(valid_to::text, '-') FROM gold.dim_product WHERE sku = ? ORDER BY 1",
                    sku)).isEqualTo(before);
            assertThat(db.column(
                    "SELECT event_id || '|' || product_key || '|' || ctid FROM gold.fact_order_line WHERE sku = ? ORDER BY 1",
                    sku)).isEqualTo(factsBefore);
            assertMatchesDefinition(db);
        }
    }

    @Test
    void aLateEventSplitsItsWindowOrMergesWithTheNextAndOnlyTheFactsInsideMove() {
        try (GoldSql db = new GoldSql()) {
            fit(db, new View("a", "10:00", "10"), new View("b", "12:00", "10"), new View("c", "14:00", "10"),
                    new View("d", "16:00", "12"));
            facts(db, "11:00", "13:30", "14:30", "17:00");
            Object outside = factKey(db, "17:00");

            // split: 13:00 at 11 cuts [10:00, 16:00) in three; the price comes back at 14:00
            fit(db, new View("e", "13:00", "11"));
            assertThat(versions(db)).containsExactly("10:00|13:00|10|false", "13:00|14:00|11|false",
                    "14:00|16:00|10|false", "16:00|-|12|true");
            assertThat(factPrices(db)).containsExactly("11:00|10", "13:30|11", "14:30|10", "17:00|12");
            assertThat(factKey(db, "17:00")).isEqualTo(outside);

            // merge: 15:00 at 12, the price of the next version, which now starts at 15:00
            fit(db, new View("f", "15:00", "12"));
            assertThat(versions(db)).containsExactly("10:00|13:00|10|false", "13:00|14:00|11|false",
                    "14:00|15:00|10|false", "15:00|-|12|true");
            assertThat(factPrices(db)).containsExactly("11:00|10", "13:30|11", "14:30|10", "17:00|12");

            // a start replaced by the previous version's attributes: two windows become one
            fit(db, new View("g", "13:00", "10"));
            assertThat(versions(db)).containsExactly("10:00|15:00|10|false", "15:00|-|12|true");
            assertThat(factPrices(db)).containsExactly("11:00|10", "13:30|10", "14:30|10", "17:00|12");
            assertMatchesDefinition(db);
        }
    }

    @Test
    void aCorrectionThatRemovesAVersionStartIsRebuiltFromSilver() {
        try (GoldSql db = new GoldSql()) {
            fit(db, new View("a", "10:00", "10"), new View("b", "12:00", "11"), new View("c", "14:00", "10"));
            facts(db, "13:00");
            db.execute("UPDATE silver.events SET product_price = 10 WHERE event_id = ?", sku + "-b");
            db.execute("SELECT gold.rebuild_products(?)", (Object) new String[]{sku});
            assertThat(versions(db)).containsExactly("10:00|-|10|true");
            assertThat(factPrices(db)).containsExactly("13:00|10");
            assertMatchesDefinition(db);
        }
    }

    @Test
    void anyArrivalOrderAndBatchingGivesTheHistoryOfTheDefinition() {
        for (int seed = 1; seed <= 24; seed++) {
            Random random = new Random(seed);
            int largestBatch = seed % 2 == 0 ? 30 : 6;
            try (GoldSql db = new GoldSql()) {
                List<String> times = new ArrayList<>();
                for (int f = 0; f < 12; f++) {
                    times.add("%02d:%02d".formatted(1 + random.nextInt(20), random.nextInt(60)));
                }
                facts(db, times.toArray(String[]::new));
                List<View> views = new ArrayList<>();
                for (int i = 0; i < (seed % 2 == 0 ? 120 : 50); i++) {
                    views.add(new View("%03d-%d".formatted(random.nextInt(1000), i),
                            "%02d:%02d".formatted(2 + random.nextInt(16), 10 * random.nextInt(6)),
                            String.valueOf(1 + random.nextInt(3))));
                }
                int i = 0;
                while (i < views.size()) {
                    int n = Math.min(views.size() - i, 1 + random.nextInt(largestBatch));
                    fit(db, views.subList(i, i + n).toArray(View[]::new));
                    i += n;
                    assertMatchesDefinition(db);
                }
            }
        }
    }

    private int fit(GoldSql db, View... views) {
        List<String> ids = new ArrayList<>();
        for (View v : views) {
            String id = sku + "-" + v.id();
            ids.add(id);
            db.execute("""
                    INSERT INTO silver.events (event_id, event_type, occurred_at, sku, product_name, product_category,
                        product_brand, product_price, product_currency, source, channel, bronze_id, bronze_received_at,
                        payload_hash, first_received_at)
                    VALUES (?, 'product_view', ?::timestamptz, ?, 'Lamp', 'home', 'Acme', ?::numeric, 'EUR', 'test',
                            'webhook', 0, now(), '\\x00', now())""", id, at(v.time()), sku, v.price());
        }
        return ((Number) db.value("""
                SELECT gold.fit_product_events(array_agg(sku), array_agg(event_id), array_agg(occurred_at),
                    array_agg(product_name), array_agg(product_category), array_agg(product_brand),
                    array_agg(product_price), array_agg(product_currency))
                FROM silver.events WHERE event_id = ANY (?)""", (Object) ids.toArray(String[]::new))).intValue();
    }

    /** Purchase lines of this sku at these times (event id = the time), through gold.add_order_lines. */
    private void facts(GoldSql db, String... times) {
        db.execute("SELECT gold.add_days(ARRAY[?::date])", DAY);
        for (String time : times) {
            db.execute(
                    """
                            SELECT gold.add_order_lines(ARRAY[?], ARRAY[1], ARRAY['o'], ARRAY[?::timestamptz], ARRAY[NULL::text],
                                ARRAY[?], ARRAY[1], ARRAY[3::numeric], ARRAY['EUR'])""",
                    sku + "-f-" + time, at(time), sku);
        }
    }

    private static String at(String time) {
        return DAY + "T" + time + ":00Z";
    }

    private Object key(GoldSql db, String validFrom) {
        return db.value("SELECT product_key FROM gold.dim_product WHERE sku = ? AND valid_from = ?::timestamptz", sku,
                at(validFrom));
    }

    private Object factKey(GoldSql db, String time) {
        return db.value("SELECT product_key FROM gold.fact_order_line WHERE event_id = ?", sku + "-f-" + time);
    }

    private List<String> versions(GoldSql db) {
        return db.column(
                """
                        SELECT to_char(valid_from AT TIME ZONE 'UTC', 'HH24:MI') || '|'
                               || coalesce(to_char(valid_to AT TIME ZONE 'UTC', 'HH24:MI'), '-') || '|' || price || '|' || is_current
                        FROM gold.dim_product WHERE sku = ? ORDER BY valid_from""",
                sku);
    }

    private List<String> factPrices(GoldSql db) {
        return db.column("""
                SELECT to_char(f.occurred_at AT TIME ZONE 'UTC', 'HH24:MI') || '|' || p.price
                FROM gold.fact_order_line f JOIN gold.dim_product p ON p.product_key = f.product_key
                WHERE f.sku = ? ORDER BY f.occurred_at""", sku);
    }

    /** dim_product of the sku equals gold.product_history, and every fact points at the version of its time. */
    private void assertMatchesDefinition(GoldSql db) {
        assertThat(db.column("""
                SELECT to_jsonb(x)::text FROM (
                    (SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current
                     FROM gold.product_history WHERE sku = ?
                     EXCEPT SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current
                     FROM gold.dim_product WHERE sku = ?)
                    UNION ALL
                    (SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current
                     FROM gold.dim_product WHERE sku = ?
                     EXCEPT SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current
                     FROM gold.product_history WHERE sku = ?)) x""", sku, sku, sku, sku)).isEmpty();
        assertThat(db.column("""
                SELECT event_id FROM gold.fact_order_line
                WHERE sku = ? AND product_key IS DISTINCT FROM gold.product_key_at(sku, occurred_at)""", sku))
                .isEmpty();
    }
}
