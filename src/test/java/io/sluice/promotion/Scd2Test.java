package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;

/**
 * dim_product as SCD type 2: price changes in order, out of order and late; a late event is fitted into history by
 * splitting a window, never becomes current; facts point at the version valid when the purchase happened.
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class Scd2Test {

    @Inject
    Promoter promoter;

    @Inject
    IngestPipeline pipeline;

    private final LocalDate day = Workload.randomDay();
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    @Test
    void inOrderThenLateChangesSplitWindowsAndRepointFacts() {
        String sku = "scd-" + run + "-a";
        land(view(sku, "10:00", "10.00"));
        land(view(sku, "14:00", "12.00"));
        land(purchase(sku, "p0", "08:00"), purchase(sku, "p1", "12:00"), purchase(sku, "p2", "15:00"));

        assertThat(versions(sku)).containsExactly("10:00|14:00|10.00|false", "14:00|-|12.00|true");
        assertThat(facts(sku)).containsExactly("p0|10.00", "p1|10.00", "p2|12.00");

        // late: a price between the two (splits the first window) and one equal to its window (changes nothing)
        land(view(sku, "13:00", "11.00"), view(sku, "11:00", "10.00"));
        land(purchase(sku, "p3", "13:30"));

        assertThat(versions(sku)).containsExactly("10:00|13:00|10.00|false", "13:00|14:00|11.00|false",
                "14:00|-|12.00|true");
        assertThat(facts(sku)).containsExactly("p0|10.00", "p1|10.00", "p2|12.00", "p3|11.00");

        // late, older than all history: a new first version, and the purchase before it is re-pointed
        land(view(sku, "06:00", "9.00"));

        assertThat(versions(sku)).containsExactly("06:00|10:00|9.00|false", "10:00|13:00|10.00|false",
                "13:00|14:00|11.00|false", "14:00|-|12.00|true");
        assertThat(facts(sku)).containsExactly("p0|9.00", "p1|10.00", "p2|12.00", "p3|11.00");
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    @Test
    void outOfOrderArrivalsGiveTheSameHistoryAsInOrder() {
        String inOrder = "scd-" + run + "-b";
        String reversed = "scd-" + run + "-c";
        for (String[] e : changes()) {
            land(e[0].equals("view") ? view(inOrder, e[1], e[2]) : purchase(inOrder, e[2], e[1]));
        }
        List<String[]> backwards = new ArrayList<>(changes());
        Collections.reverse(backwards);
        List<String> batch = new ArrayList<>();
        for (String[] e : backwards) {
            batch.add(e[0].equals("view") ? view(reversed, e[1], e[2]) : purchase(reversed, e[2], e[1]));
            if (batch.size() == 2) {
                land(batch.toArray(String[]::new));
                batch.clear();
            }
        }
        land(batch.toArray(String[]::new));

        assertThat(versions(inOrder)).containsExactly("07:00|09:00|5.00|false", "09:00|16:00|6.00|false",
                "16:00|18:00|5.00|false", "18:00|-|7.00|true");
        assertThat(versions(reversed)).isEqualTo(versions(inOrder));
        assertThat(facts(reversed)).isEqualTo(facts(inOrder)).containsExactly("q1|5.00", "q2|6.00", "q3|7.00");
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    /** Views (time, price) and purchases (time, name): the price goes 5, 6, 6, 5 (back again), 7. */
    private static List<String[]> changes() {
        return List.of(new String[]{"view", "07:00", "5.00"}, new String[]{"purchase", "08:00", "q1"},
                new String[]{"view", "09:00", "6.00"}, new String[]{"view", "12:00", "6.00"},
                new String[]{"purchase", "13:00", "q2"}, new String[]{"view", "16:00", "5.00"},
                new String[]{"view", "18:00", "7.00"}, new String[]{"purchase", "19:00", "q3"});
    }

    private void land(String... jsons) {
        Promotions.landJson(pipeline, "scd-" + run, List.of(jsons));
        promoter.drain().await().atMost(Duration.ofSeconds(60));
    }

    private String view(String sku, String time, String price) {
        return """
                {"event_id":"%s-view-%s","event_type":"product_view","occurred_at":"%sT%s:00Z","user_id":"%s-user",
                 "product":{"sku":"%s","name":"Lamp","category":"home","brand":"Acme","price":%s,"currency":"EUR"}}"""
                .formatted(sku, time.replace(":", ""), day, time, sku, sku, price);
    }

    private String purchase(String sku, String name, String time) {
        return """
                {"event_id":"%s-%s","event_type":"purchase","occurred_at":"%sT%s:00Z","user_id":"%s-user",
                 "order":{"order_id":"%s","currency":"EUR","total":3,"items":[{"sku":"%s","quantity":1,"unit_price":3}]}}"""
                .formatted(sku, name, day, time, sku, name, sku);
    }

    private static List<String> versions(String sku) {
        return Db
                .rows("""
                        SELECT to_char(valid_from AT TIME ZONE 'UTC', 'HH24:MI') || '|'
                               || coalesce(to_char(valid_to AT TIME ZONE 'UTC', 'HH24:MI'), '-') || '|' || price || '|' || is_current AS v
                        FROM gold.dim_product WHERE sku = ? ORDER BY valid_from""",
                        sku)
                .stream().map(row -> (String) row.get("v")).toList();
    }

    private static List<String> facts(String sku) {
        return Db.rows("""
                SELECT f.order_id || '|' || p.price AS f
                FROM gold.fact_order_line f JOIN gold.dim_product p ON p.product_key = f.product_key
                WHERE f.sku = ? ORDER BY f.order_id""", sku)
                .stream().map(row -> (String) row.get("f")).toList();
    }
}
