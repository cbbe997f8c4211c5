package io.sluice.quality;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.sluice.config.QualityConfig;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Turns the hourly counters into verdicts every {@code sluice.quality.evaluate-interval}: one transaction that reads
 * the counters of the windows it judges (never silver), upserts one {@code quality.results} row per expectation and
 * window, counts {@code sluice_quality_checks_total} and deletes counters and results past their retention. Only one
 * instance evaluates at a time (a transaction-level advisory lock; the others skip the run); every instance refreshes
 * its {@code sluice_quality_failing} gauges from the results table, so all report the same.
 */
@ApplicationScoped
@Startup
public class QualityEvaluator {

    private static final String LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('sluice.quality.evaluate')) AS locked";
    private static final String SUMS = """
            SELECT expectation, window_start, sum(checked)::bigint AS checked, sum(failed)::bigint AS failed
            FROM quality.counters WHERE window_start = ANY($1::timestamptz[]) AND expectation = ANY($2::text[])
            GROUP BY 1, 2
            """;
    private static final String NEWEST = """
            SELECT expectation, max(newest) AS newest FROM quality.counters
            WHERE expectation = ANY($1::text[]) GROUP BY 1
            """;
    private static final String UPSERT = """
            INSERT INTO quality.results AS r (expectation, window_start, kind, checked, failed, observed, threshold,
                                              verdict, detail, evaluated_at)
            SELECT *, now() FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[], $5::bigint[],
                                        $6::float8[], $7::float8[], $8::text[], $9::text[])
            ORDER BY 1, 2
            ON CONFLICT (expectation, window_start) DO UPDATE
                SET kind = excluded.kind, checked = excluded.checked, failed = excluded.failed,
                    observed = excluded.observed, threshold = excluded.threshold, verdict = excluded.verdict,
                    detail = excluded.detail, evaluated_at = excluded.evaluated_at
            """;
    private static final String RETENTION = """
            WITH counters AS (DELETE FROM quality.counters WHERE window_start < $1)
            DELETE FROM quality.results WHERE window_start < $2
            """;
    /** Each expectation's latest verdict other than no_data, of the last day (older ones no longer count). */
    static final String LATEST = """
            SELECT DISTINCT ON (expectation) expectation, window_start, verdict FROM quality.results
            WHERE verdict <> 'no_data' AND window_start >= $1 AND expectation = ANY($2::text[])
            ORDER BY expectation, window_start DESC
            """;

    private final Pool pool;
    private final Expectations expectations;
    private final QualityConfig config;
    private final QualityClock clock;
    private final SluiceMetrics metrics;
    private final Map<String, Integer> failing = new ConcurrentHashMap<>();

    public QualityEvaluator(Pool pool, Expectations expectations, QualityConfig config, QualityClock clock,
            SluiceMetrics metrics) {
        this.pool = pool;
        this.expectations = expectations;
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        for (Expectation e : expectations.all()) {
            failing.put(e.name(), 0);
            for (String verdict : new String[]{Verdict.PASS, Verdict.FAIL, Verdict.NO_DATA}) {
                metrics.qualityChecks(e.name(), verdict, 0);
            }
            metrics.qualityFailing(e.name(), () -> failing.getOrDefault(e.name(), 0));
        }
    }

    @Scheduled(every = "${sluice.quality.evaluate-interval:30s}", delay = 2, delayUnit = java.util.concurrent.TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        if (expectations.all().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return evaluate().replaceWithVoid()
                .chain(this::refreshGauges)
                .onFailure().recoverWithItem(failure -> {
                    Log.warnf("data-quality evaluation failed (the next run retries): %s", failure.toString());
                    return null;
                });
    }

    /** One evaluation as of the clock's now; empty when another instance holds the evaluation lock. */
    public Uni<List<Verdict>> evaluate() {
        OffsetDateTime now = OffsetDateTime.ofInstant(clock.now(), ZoneOffset.UTC);
        return pool.withTransaction(connection -> connection.query(LOCK).execute()
                .chain(locked -> locked.iterator().next().getBoolean("locked")
                        ? evaluate(connection, now)
                        : Uni.createFrom().item(List.<Verdict>of())));
    }

    private Uni<List<Verdict>> evaluate(SqlConnection connection, OffsetDateTime now) {
        String[] names = expectations.all().stream().map(Expectation::name).toArray(String[]::new);
        OffsetDateTime[] windows = Judge.windows(QualityCounters.window(now)).toArray(OffsetDateTime[]::new);
        Map<String, Map<OffsetDateTime, Judge.Sums>> sums = new HashMap<>();
        Map<String, OffsetDateTime> newest = new HashMap<>();
        return connection.preparedQuery(SUMS).execute(Tuple.of(windows, names))
                .invoke(rows -> rows.forEach(row -> sums.computeIfAbsent(row.getString("expectation"),
                        n -> new HashMap<>())
                        .put(row.getOffsetDateTime("window_start").withOffsetSameInstant(ZoneOffset.UTC),
                                new Judge.Sums(row.getLong("checked"), row.getLong("failed"), null))))
                .chain(() -> connection.preparedQuery(NEWEST).execute(Tuple.of((Object) freshnessNames())))
                .invoke(rows -> rows.forEach(row -> newest.put(row.getString("expectation"),
                        row.getOffsetDateTime("newest"))))
                .map(ignored -> {
                    List<Verdict> verdicts = new ArrayList<>();
                    for (Expectation e : expectations.all()) {
                        verdicts.addAll(Judge.judge(e, now, sums.getOrDefault(e.name(), Map.of()),
                                newest.get(e.name())));
                    }
                    return verdicts;
                })
                .call(verdicts -> store(connection, verdicts))
                .call(() -> connection.preparedQuery(RETENTION).execute(Tuple.of(
                        now.minus(config.counterRetention()), now.minus(config.resultRetention()))))
                .invoke(verdicts -> verdicts.forEach(v -> metrics.qualityChecks(v.expectation(), v.verdict(), 1)));
    }

    private String[] freshnessNames() {
        return expectations.all().stream().filter(e -> e.kind() == Kind.FRESHNESS).map(Expectation::name)
                .toArray(String[]::new);
    }

    private Uni<Void> store(SqlConnection connection, List<Verdict> verdicts) {
        if (verdicts.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = verdicts.size();
        String[] names = new String[n], kinds = new String[n], outcomes = new String[n], details = new String[n];
        OffsetDateTime[] windows = new OffsetDateTime[n];
        Long[] checked = new Long[n], failed = new Long[n];
        Double[] observed = new Double[n], thresholds = new Double[n];
        for (int i = 0; i < n; i++) {
            Verdict v = verdicts.get(i);
            names[i] = v.expectation();
            windows[i] = v.window();
            kinds[i] = v.kind().configName();
            checked[i] = v.checked();
            failed[i] = v.failed();
            observed[i] = v.observed();
            thresholds[i] = v.threshold();
            outcomes[i] = v.verdict();
            details[i] = v.detail();
        }
        return connection.preparedQuery(UPSERT).execute(Tuple.tuple().addArrayOfString(names)
                .addArrayOfOffsetDateTime(windows).addArrayOfString(kinds).addArrayOfLong(checked)
                .addArrayOfLong(failed).addArrayOfDouble(observed).addArrayOfDouble(thresholds)
                .addArrayOfString(outcomes).addArrayOfString(details)).replaceWithVoid();
    }

    /** Sets every expectation's failing gauge from its latest verdict in quality.results (any instance's). */
    Uni<Void> refreshGauges() {
        String[] names = expectations.all().stream().map(Expectation::name).toArray(String[]::new);
        OffsetDateTime since = OffsetDateTime.ofInstant(clock.now(), ZoneOffset.UTC).minusDays(1);
        return pool.preparedQuery(LATEST).execute(Tuple.of(since, names))
                .invoke(rows -> {
                    Map<String, Integer> latest = new HashMap<>();
                    for (Row row : rows) {
                        latest.put(row.getString("expectation"), Verdict.FAIL.equals(row.getString("verdict")) ? 1 : 0);
                    }
                    for (String name : names) {
                        failing.put(name, latest.getOrDefault(name, 0));
                    }
                }).replaceWithVoid();
    }
}
