package io.sluice.promotion;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import io.sluice.bronze.BronzeRow;
import io.sluice.bronze.BronzeWriter;
import io.sluice.event.EventDecoder;
import io.sluice.ingest.Incoming;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;
import io.vertx.mutiny.sqlclient.Pool;

/** Test helpers: land deliveries through the real ingest pipeline, dump a workload's silver and gold rows. */
final class Promotions {

    private static final AtomicLong OFFSETS = new AtomicLong();

    private Promotions() {
    }

    /** Lands deliveries in batches through IngestPipeline (validation, dedup, bronze, queue, NOTIFY). */
    static void land(IngestPipeline pipeline, Workload workload, List<Workload.Delivery> deliveries, int batchSize) {
        for (int from = 0; from < deliveries.size(); from += batchSize) {
            List<Incoming> batch = new ArrayList<>();
            for (Workload.Delivery delivery : deliveries.subList(from, Math.min(deliveries.size(), from + batchSize))) {
                var decoded = (EventDecoder.Events) pipeline.decode(delivery.json().getBytes(StandardCharsets.UTF_8),
                        EventDecoder.Format.NATIVE, Map.of());
                var event = decoded.events().get(0);
                batch.add(delivery.kafka()
                        ? Incoming.kafka(workload.prefix + "-topic", 0, OFFSETS.incrementAndGet(), event, Map.of())
                        : Incoming.webhook(workload.prefix + "-partner", event, Map.of()));
            }
            var outcome = pipeline.land(batch, Optional.empty()).await().atMost(Duration.ofSeconds(60));
            if (!(outcome instanceof IngestPipeline.Landed landed) || !landed.result().rejected().isEmpty()) {
                throw new IllegalStateException("workload events were not all accepted: " + outcome);
            }
        }
    }

    /** Lands native JSON events through IngestPipeline as one webhook batch of the given partner name. */
    static void landJson(IngestPipeline pipeline, String source, List<String> jsons) {
        List<Incoming> batch = new ArrayList<>();
        for (String json : jsons) {
            var decoded = (EventDecoder.Events) pipeline.decode(json.getBytes(StandardCharsets.UTF_8),
                    EventDecoder.Format.NATIVE, Map.of());
            batch.add(Incoming.webhook(source, decoded.events().get(0), Map.of()));
        }
        var outcome = pipeline.land(batch, Optional.empty()).await().atMost(Duration.ofSeconds(60));
        if (!(outcome instanceof IngestPipeline.Landed landed) || !landed.result().rejected().isEmpty()) {
            throw new IllegalStateException("events were not all accepted: " + outcome);
        }
    }

    /**
     * Lands events straight through BronzeWriter, without validation: rows as an older, looser version of Sluice
     * could have left them in bronze.
     */
    static void landUnvalidated(Pool pool, BronzeWriter bronze, String source, List<String> jsons) {
        List<BronzeRow> rows = new ArrayList<>();
        for (String json : jsons) {
            String eventId = json.replaceFirst("(?s).*\"event_id\":\"([^\"]+)\".*", "$1");
            String type = json.replaceFirst("(?s).*\"event_type\":\"([^\"]+)\".*", "$1");
            rows.add(new BronzeRow(eventId, type, "webhook", source, json, "{}", sha256(json), null, null, null));
        }
        bronze.land(pool, List.of(new BronzeWriter.Request(rows, List.of(), java.util.Optional.empty())))
                .await().atMost(Duration.ofSeconds(30));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Bronze rows of these events still waiting for promotion: with a work item of their own or in a landed batch
     * not yet promoted.
     */
    static long awaiting(String eventIdLike) {
        return Db.count("""
                SELECT count(*) FROM bronze.events b WHERE b.event_id LIKE ?
                   AND (EXISTS (SELECT 1 FROM bronze.promotion_queue q WHERE q.bronze_id = b.id)
                        OR EXISTS (SELECT 1 FROM bronze.promotion_batches p WHERE p.batch_id = b.id / 65536))""",
                eventIdLike);
    }

    /** The workload's rows in silver and gold, normalised (prefix and currency), by table; no surrogate keys. */
    static Map<String, List<String>> dump(Workload w) {
        String like = w.prefix + "%";
        Map<String, List<String>> tables = new TreeMap<>();
        tables.put("silver.events",
                rows(w, """
                        SELECT event_id, event_type, occurred_at, user_id, anonymous_id, session_id, page_url, sku, product_name,
                               product_category, product_brand, product_price, product_currency, quantity, order_id, order_total,
                               currency, ip_hash, properties::text, attributes::text, schema_version
                        FROM silver.events WHERE event_id LIKE ?""",
                        like));
        tables.put("silver.order_items", rows(w, "SELECT * FROM silver.order_items WHERE event_id LIKE ?", like));
        tables.put("gold.dim_product", rows(w, """
                SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current
                FROM gold.dim_product WHERE sku LIKE ?""", like));
        tables.put("gold.dim_customer", rows(w,
                "SELECT user_id, first_seen_at, last_seen_at FROM gold.dim_customer WHERE user_id LIKE ?", like));
        tables.put("gold.fact_order_line",
                rows(w, """
                        SELECT f.event_id, f.line_no, f.order_id, f.date_key, p.sku, p.valid_from, p.price, c.user_id, f.quantity,
                               f.unit_price, f.revenue, f.currency
                        FROM gold.fact_order_line f
                        LEFT JOIN gold.dim_product p ON p.product_key = f.product_key
                        LEFT JOIN gold.dim_customer c ON c.customer_key = f.customer_key
                        WHERE f.event_id LIKE ?""",
                        like));
        tables.put("gold.daily_product_metrics",
                rows(w, "SELECT * FROM gold.daily_product_metrics WHERE sku LIKE ?", like));
        tables.put("gold.daily_revenue",
                rows(w, "SELECT * FROM gold.daily_revenue WHERE currency = ? AND day >= ? AND day < ?", w.currency,
                        w.firstDay, w.firstDay.plusDays(4)));
        return tables;
    }

    private static List<String> rows(Workload w, String sql, Object... params) {
        return Db.rows(sql, params).stream()
                .map(row -> w.normalise(row.values().stream().map(String::valueOf).collect(Collectors.joining("|")))
                        .replace(w.currency, "CUR"))
                .sorted()
                .toList();
    }

    /** Rows of the I3 check (README): gold against a fresh aggregation over silver; empty when equal. */
    static List<Map<String, Object>> goldDifferences() {
        return Db.rows("SELECT * FROM gold.i3_differences");
    }
}
