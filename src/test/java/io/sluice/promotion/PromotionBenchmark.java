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
 * The promotion benchmark (bench/promotion/run): per workload (late, random, one-sku) and run, lands a backlog
 * through the real ingest pipeline with the promoter off, then times {@link Promoter#drain()} to silver and gold,
 * printing events/s as it goes, CPU seconds of the JVM and of PostgreSQL per 1M events and the correctness check; reports
 * the medians. A same-run SQL-only baseline (bronze to a silver-shaped table with one INSERT ... SELECT) comes first in
 * each run. Not part of the test suite (the class name does not end in Test); it empties the tables of the database it
 * runs on, so it refuses any database whose name does not contain "bench".
 */
@QuarkusTest
@TestProfile(PromotionBenchmark.Profile.class)
class PromotionBenchmark {

    /** The promoter's settings for this run (bench/promotion/run passes them), printed with each result. */
    private static final String BATCH_SIZE = System.getProperty("bench.batch-size", "4000");
    private static final String CONCURRENCY = System.getProperty("bench.concurrency", "2");

    public static class Profile extends ManualPromotionProfile {

        @Override
        public java.util.Map<String, String> getConfigOverrides() {
            var overrides = new java.util.HashMap<>(super.getConfigOverrides());
            overrides.put("sluice.promotion.batch-size", BATCH_SIZE);
            overrides.put("sluice.promotion.concurrency", CONCURRENCY);
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
        List<String> workloads = List.of(System.getProperty("bench.workloads", "late random one-sku").trim()
                .split("\\s+"));
        List<String> results = new ArrayList<>();
        for (String workload : workloads) {
            List<Double> rates = new ArrayList<>();
            List<Double> baselines = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                Measured m = measure(workload, run, events, promoters);
                rates.add(m.rate());
                baselines.add(m.baseline());
            }
            results.add(String.format(Locale.ROOT,
                    "RESULT %s: promotion bronze -> silver + gold median %.0f events/s over %d runs %s; same-run "
                            + "SQL-only bronze -> silver baseline median %.0f rows/s %s; ratio %.2f",
                    workload, median(rates), runs, format(rates), median(baselines), format(baselines),
                    median(rates) / median(baselines)));
        }
        results.forEach(r -> print("%s", r));
    }

    private record Measured(double rate, double baseline) {
    }

    /**
     * One run of a workload: late (live order, 5 % of events hours to days late), random (arrival order unrelated to
     * occurred_at) or one-sku (live order with 5 % late, every event about one sku).
     */
    private Measured measure(String workload, int run, int events, int promoters) throws Exception {
        empty();
        Workload w = new Workload(run, events, Workload.randomDay(), workload.equals("one-sku") ? 1 : 2_000, 20_000);
        List<Workload.Delivery> backlog = switch (workload) {
            case "late", "one-sku" -> w.live(run, 0.05);
            case "random" -> w.shuffled(run);
            default -> throw new IllegalArgumentException("unknown workload " + workload + " (late, random, one-sku)");
        };
        String tag = workload + " run " + run;
        long landStart = System.nanoTime();
        for (int from = 0; from < backlog.size(); from += 100_000) {
            Promotions.land(pipeline, w, backlog.subList(from, Math.min(backlog.size(), from + 100_000)), 1000);
            print("%s: landed %d of %d", tag, Math.min(backlog.size(), from + 100_000), events);
        }
        double landSeconds = (System.nanoTime() - landStart) / 1e9;
        print("%s: landed %d events through IngestPipeline in %.1f s (%.0f events/s)", tag, events, landSeconds,
                events / landSeconds);
        double baseline = baseline(tag, events);

        Cpu cpuBefore = Cpu.now();
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
                long left = left();
                long now = System.nanoTime();
                print("%s: %8d left, %8.0f events/s over the last interval, %8.0f events/s since the start", tag, left,
                        (last - left) / ((now - lastAt) / 1e9), (events - left) / ((now - start) / 1e9));
                last = left;
                lastAt = now;
            }
        }
        done.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        Cpu cpu = Cpu.now().minus(cpuBefore);
        assertThat(left()).isZero();
        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", w.prefix + "%"))
                .isEqualTo(events);
        print("%s: promoted %d events to silver and gold in %.1f s: %.0f events/s (%d promoter(s), batch %s, "
                + "concurrency %s)", tag, events, seconds, events / seconds, promoters,
                BATCH_SIZE, CONCURRENCY);
        print("%s: CPU per 1M events: JVM %.1f s, PostgreSQL %.1f s (backends of this database and the cluster's "
                + "background processes, utime+stime from /proc)", tag, cpu.jvmSeconds() * 1e6 / events,
                cpu.postgresSeconds() * 1e6 / events);
        long check = System.nanoTime();
        assertThat(Promotions.goldDifferences()).isEmpty();
        print("%s: correctness: queue empty, %d silver rows, I3 check empty (gold, SCD 2 history included, equals the "
                + "fresh aggregation of silver, order-independent by definition), %.1f s", tag, events,
                (System.nanoTime() - check) / 1e9);
        return new Measured(events / seconds, baseline);
    }

    /** Work not yet promoted: queued events, plus the events of landed batches when the schema has them. */
    private static long left() {
        long queued = Db.count("SELECT count(*) FROM bronze.promotion_queue");
        boolean batches = Db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'bronze'"
                + " AND tablename = 'promotion_batches'") > 0;
        return queued + (batches ? Db.count("SELECT coalesce(sum(events), 0) FROM bronze.promotion_batches") : 0);
    }

    /** CPU time used so far by this JVM and by PostgreSQL (this database's backends and background processes). */
    private record Cpu(double jvmSeconds, double postgresSeconds, java.util.Map<Long, Double> perPid) {

        static Cpu now() {
            double jvm = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
            java.util.Map<Long, Double> perPid = new java.util.HashMap<>();
            for (var row : Db.rows("""
                    SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() OR backend_type <> 'client backend'""")) {
                long pid = ((Number) row.get("pid")).longValue();
                double seconds = procSeconds(pid);
                if (seconds >= 0) {
                    perPid.put(pid, seconds);
                }
            }
            return new Cpu(jvm, perPid.values().stream().mapToDouble(Double::doubleValue).sum(), perPid);
        }

        /** The CPU since an earlier sample: processes that started in between count in full. */
        Cpu minus(Cpu before) {
            double postgres = 0;
            for (var e : perPid.entrySet()) {
                postgres += e.getValue() - before.perPid().getOrDefault(e.getKey(), 0.0);
            }
            return new Cpu(jvmSeconds - before.jvmSeconds(), postgres, java.util.Map.of());
        }

        /** utime + stime of a process in seconds (clock ticks of 1/100 s), or -1 when it cannot be read. */
        private static double procSeconds(long pid) {
            try {
                String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
            } catch (java.io.IOException | RuntimeException e) {
                return -1;
            }
        }
    }

    private double baseline(String tag, int events) {
        Db.execute("DROP TABLE IF EXISTS bench_silver");
        Db.execute(
                "CREATE TABLE bench_silver (LIKE silver.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)");
        long start = System.nanoTime();
        int rows = Db.execute(BASELINE);
        double seconds = (System.nanoTime() - start) / 1e9;
        Db.execute("DROP TABLE bench_silver");
        print("%s: SQL-only baseline: %d rows bronze -> silver-shaped table in %.1f s (%.0f rows/s)", tag, rows,
                seconds, rows / seconds);
        return events / seconds;
    }

    /**
     * Empties every table of Sluice's schemas (whatever migrations this branch has). The statistics of what they held
     * stay (ANALYZE of an empty table leaves them), which is why bench/promotion/run starts each command in a new
     * database and `one-sku`, the workload whose statistics mislead the others' plans, runs last.
     */
    private static void empty() {
        Db.execute("""
                DO $$ BEGIN
                    EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('%I.%I', schemaname, tablename), ', ')
                             FROM pg_tables WHERE schemaname IN ('bronze', 'silver', 'gold'));
                END $$""");
        Db.execute("VACUUM ANALYZE");
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
