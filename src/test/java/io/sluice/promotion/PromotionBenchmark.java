package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;

/**
 * The promotion benchmark (bench/promotion/run): lands a backlog through the real ingest pipeline with the promoter
 * off, then times {@link Promoter#drain()} to silver and gold, printing events/s as it goes; repeats, and reports the
 * median. A same-run SQL-only baseline (bronze to a silver-shaped table with one INSERT ... SELECT) comes first in
 * each run. Not part of the test suite (the class name does not end in Test); it empties the tables of the database it
 * runs on, so it refuses any database whose name does not contain "bench".
 */
@QuarkusTest
@TestProfile(PromotionBenchmark.Profile.class)
class PromotionBenchmark {

    public static class Profile extends ManualPromotionProfile {

        @Override
        public java.util.Map<String, String> getConfigOverrides() {
            var overrides = new java.util.HashMap<>(super.getConfigOverrides());
            overrides.put("sluice.promotion.batch-size", System.getProperty("bench.batch-size", "1000"));
            overrides.put("quarkus.log.category.\"io.sluice\".level", "WARN");
            // a random HTTP port, so the benchmark can run beside the test suite
            overrides.put("quarkus.http.test-port", "0");
            return overrides;
        }
    }

    private static final String BASELINE = """
            INSERT INTO bench_silver (event_id, event_type, occurred_at, user_id, anonymous_id, session_id, page_url,
                sku, product_name, product_category, product_brand, product_price, product_currency, quantity, order_id,
                order_total, currency, ip_hash, attributes, source, channel, bronze_id, bronze_received_at, payload_hash,
                first_received_at)
            SELECT event_id, payload->>'event_type', (payload->>'occurred_at')::timestamptz, payload->>'user_id',
                   payload->>'anonymous_id', payload->>'session_id', payload#>>'{page,url}', payload#>>'{product,sku}',
                   payload#>>'{product,name}', payload#>>'{product,category}', payload#>>'{product,brand}',
                   (payload#>>'{product,price}')::numeric, payload#>>'{product,currency}', (payload->>'quantity')::int,
                   payload#>>'{order,order_id}', (payload#>>'{order,total}')::numeric, payload#>>'{order,currency}',
                   encode(sha256(convert_to(payload#>>'{context,ip}', 'UTF8')), 'hex'), payload - 'event_id', source, channel,
                   id, received_at, payload_hash, received_at
            FROM bronze.events
            ON CONFLICT (event_id) DO NOTHING
            """;

    @Inject
    Promoter promoter;

    @Inject
    IngestPipeline pipeline;

    @Test
    void promoteABacklog() throws Exception {
        String database = (String) Db.rows("SELECT current_database() AS d").get(0).get("d");
        assertThat(database).as("the benchmark empties its database").contains("bench");
        int events = Integer.getInteger("bench.events", 200_000);
        int runs = Integer.getInteger("bench.runs", 3);
        int promoters = Integer.getInteger("bench.promoters", 1);
        List<Double> rates = new ArrayList<>();
        List<Double> baselines = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            empty();
            Workload w = new Workload(run, events, Workload.randomDay(), 2_000, 20_000);
            long landStart = System.nanoTime();
            List<Workload.Delivery> backlog = new ArrayList<>(w.events);
            if (Boolean.getBoolean("bench.time-ordered")) {
                // live traffic: events arrive roughly in occurred_at order
                backlog.sort(java.util.Comparator.comparing(PromotionBenchmark::occurredAt));
            }
            Promotions.land(pipeline, w, backlog, 1000);
            double landSeconds = (System.nanoTime() - landStart) / 1e9;
            print("run %d: landed %d events through IngestPipeline in %.1f s (%.0f events/s)", run, events, landSeconds,
                    events / landSeconds);

            baselines.add(baseline(run, events));

            long start = System.nanoTime();
            List<Uni<Void>> drains = new ArrayList<>();
            for (int p = 0; p < promoters; p++) {
                drains.add(promoter.drain());
            }
            CompletableFuture<Void> done = Uni.combine().all().unis(drains).discardItems().subscribeAsCompletionStage()
                    .toCompletableFuture();
            long last = events;
            long lastAt = start;
            while (!done.isDone()) {
                try {
                    done.get(2, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException stillRunning) {
                    long left = Db.count("SELECT count(*) FROM bronze.promotion_queue");
                    long now = System.nanoTime();
                    print("run %d: %7d left, %8.0f events/s over the last interval", run, left,
                            (last - left) / ((now - lastAt) / 1e9));
                    last = left;
                    lastAt = now;
                }
            }
            done.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(Db.count("SELECT count(*) FROM bronze.promotion_queue")).isZero();
            assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", w.prefix + "%"))
                    .isEqualTo(events);
            rates.add(events / seconds);
            print("run %d: promoted %d events to silver and gold in %.1f s: %.0f events/s (%d promoter(s), batch %s)",
                    run, events, seconds, events / seconds, promoters, System.getProperty("bench.batch-size", "1000"));
            long check = System.nanoTime();
            assertThat(Promotions.goldDifferences()).isEmpty();
            print("run %d: I3 check (gold = fresh aggregation of silver) empty, %.1f s", run,
                    (System.nanoTime() - check) / 1e9);
        }
        print("RESULT promotion bronze -> silver + gold: median %.0f events/s over %d runs %s; same-run SQL-only "
                + "bronze -> silver baseline median %.0f rows/s %s", median(rates), runs, format(rates),
                median(baselines), format(baselines));
    }

    private double baseline(int run, int events) {
        Db.execute("DROP TABLE IF EXISTS bench_silver");
        Db.execute(
                "CREATE TABLE bench_silver (LIKE silver.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)");
        long start = System.nanoTime();
        int rows = Db.execute(BASELINE);
        double seconds = (System.nanoTime() - start) / 1e9;
        Db.execute("DROP TABLE bench_silver");
        print("run %d: SQL-only baseline: %d rows bronze -> silver-shaped table in %.1f s (%.0f rows/s)", run, rows,
                seconds, rows / seconds);
        return events / seconds;
    }

    private static void empty() {
        Db.execute("""
                TRUNCATE bronze.events, bronze.promotion_queue, bronze.promotion_batches, bronze.quarantine,
                         bronze.rejected_events, silver.events, silver.order_items, gold.fact_order_line,
                         gold.dim_product, gold.dim_customer, gold.dim_date, gold.daily_product_metrics,
                         gold.daily_revenue""");
        Db.execute("VACUUM ANALYZE");
    }

    private static String occurredAt(Workload.Delivery delivery) {
        int at = delivery.json().indexOf("\"occurred_at\":\"") + "\"occurred_at\":\"".length();
        return delivery.json().substring(at, delivery.json().indexOf('"', at));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String format(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList().toString();
    }

    private static void print(String format, Object... args) {
        System.out.println("[bench] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

}
