package io.sluice.quality;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.sluice.silver.SilverChanges;
import io.sluice.silver.SilverEvent;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Keeps the expectations' hourly counters as promotion writes silver: one call per promotion round, inside the round's
 * transaction, after silver and before gold. The rows the upsert wrote are checked here in memory; the round's counts
 * are then added to {@code quality.counters} by <b>one</b> statement, which also probes silver's index for the values
 * of unique expectations. Nothing is written when no expectation applies to the round's rows.
 * <p>
 * A counter row is keyed by expectation, hour of bronze receipt ({@code window_start}) and a slot picked at random per
 * round, so concurrent rounds seldom wait on each other's counter rows (the evaluator sums the slots).
 */
@ApplicationScoped
public class QualityCounters {

    /** Counter rows per expectation and hour that concurrent rounds spread over. */
    static final int SLOTS = 8;

    private static final String DELTAS = """
            WITH d AS (
                SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::timestamptz[])
                    AS d(expectation, window_start, checked, failed, newest)
            ), p AS (
                SELECT * FROM unnest($6::text[], $7::timestamptz[], $8::text[]) AS p(expectation, window_start, value)
            ), dup AS (
                SELECT p.expectation, p.window_start, 0::bigint AS checked, count(*) AS failed, NULL::timestamptz AS newest
                FROM p WHERE %s
                GROUP BY 1, 2
            ), sums AS (
                SELECT expectation, window_start, sum(checked)::bigint AS checked, sum(failed)::bigint AS failed,
                       max(newest) AS newest
                FROM (SELECT * FROM d UNION ALL SELECT * FROM dup) x
                GROUP BY 1, 2
            )
            INSERT INTO quality.counters AS c (expectation, window_start, slot, checked, failed, newest, updated_at)
            SELECT expectation, window_start, $9::int, checked, failed, newest, now() FROM sums ORDER BY 1, 2
            ON CONFLICT (expectation, window_start, slot) DO UPDATE
                SET checked = c.checked + excluded.checked, failed = c.failed + excluded.failed,
                    newest = GREATEST(c.newest, excluded.newest), updated_at = excluded.updated_at
            """;

    private final List<Expectation> expectations;
    private final String statement;
    /** Parameters after the nine fixed ones: per unique expectation, its event types and sources when it has them. */
    private final List<String[]> probeFilters = new ArrayList<>();

    public QualityCounters(Expectations expectations) {
        this.expectations = expectations.all();
        this.statement = DELTAS.formatted(probes());
    }

    /**
     * Adds what this round wrote to silver to the counters of every expectation that applies, in the round's
     * transaction: one statement, or none when nothing applies.
     */
    public Uni<Void> record(SqlConnection connection, SilverChanges changes) {
        if (expectations.isEmpty() || changes.changed().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Counts counts = count(expectations, changes);
        if (counts.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return connection.preparedQuery(statement).execute(counts.tuple(ThreadLocalRandom.current().nextInt(SLOTS),
                probeFilters)).replaceWithVoid();
    }

    /** The SQL condition that a probed value is a duplicate, one branch per unique expectation. */
    private String probes() {
        List<String> branches = new ArrayList<>();
        int parameter = 10;
        for (Expectation e : expectations) {
            if (e.kind() != Kind.UNIQUE || e.field().orElseThrow().isPrimaryKey()) {
                continue;
            }
            String column = e.field().orElseThrow().uniqueColumn().orElseThrow();
            StringBuilder filter = new StringBuilder();
            if (!e.eventTypes().isEmpty()) {
                filter.append(" AND s.event_type = ANY($").append(parameter++).append("::text[])");
                probeFilters.add(e.eventTypes().stream().sorted().toArray(String[]::new));
            }
            if (!e.sources().isEmpty()) {
                filter.append(" AND s.source = ANY($").append(parameter++).append("::text[])");
                probeFilters.add(e.sources().stream().sorted().toArray(String[]::new));
            }
            // the row itself is one; a second one found through the column's index is a duplicate
            branches.add("(p.expectation = '" + e.name() + "' AND (SELECT count(*) FROM (SELECT 1 FROM silver.events s"
                    + " WHERE s." + column + " = p.value" + filter + " LIMIT 2) t) > 1)");
        }
        return branches.isEmpty() ? "false" : String.join(" OR ", branches);
    }

    /** The round's counts per expectation and window, and the values unique expectations probe. */
    static Counts count(List<Expectation> expectations, SilverChanges changes) {
        Set<String> replaced = new HashSet<>();
        changes.replaced().forEach(r -> replaced.add(r.eventId()));
        Counts counts = new Counts();
        for (SilverEvent event : changes.changed()) {
            OffsetDateTime window = window(event.bronzeReceivedAt());
            for (Expectation e : expectations) {
                if (!e.appliesTo(event)) {
                    continue;
                }
                switch (e.kind()) {
                    case FRESHNESS -> counts.add(e.name(), window, 0, event.occurredAt());
                    case VOLUME -> {
                        if (!replaced.contains(event.eventId())) {
                            counts.add(e.name(), window, 0, null);
                        }
                    }
                    default -> {
                        switch (e.check(event)) {
                            case PASSED -> counts.add(e.name(), window, 0, null);
                            case FAILED -> counts.add(e.name(), window, 1, null);
                            case PROBE -> {
                                counts.add(e.name(), window, 0, null);
                                counts.probe(e.name(), window, e.field().orElseThrow().text(event));
                            }
                            case SKIPPED -> {
                            }
                        }
                    }
                }
            }
        }
        return counts;
    }

    /** The hourly window of a bronze receipt time (UTC hours). */
    public static OffsetDateTime window(OffsetDateTime receivedAt) {
        return receivedAt.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.HOURS);
    }

    /** Counts of one round, kept in key order so that concurrent rounds lock counter rows in the same order. */
    static final class Counts {

        record Key(String expectation, OffsetDateTime window) implements Comparable<Key> {

            @Override
            public int compareTo(Key o) {
                int byName = expectation.compareTo(o.expectation);
                return byName != 0 ? byName : window.compareTo(o.window);
            }
        }

        static final class Sum {

            long checked;
            long failed;
            OffsetDateTime newest;
        }

        final Map<Key, Sum> sums = new TreeMap<>();
        final List<String> probeNames = new ArrayList<>();
        final List<OffsetDateTime> probeWindows = new ArrayList<>();
        final List<String> probeValues = new ArrayList<>();

        void add(String expectation, OffsetDateTime window, long failed, OffsetDateTime newest) {
            Sum sum = sums.computeIfAbsent(new Key(expectation, window), k -> new Sum());
            sum.checked++;
            sum.failed += failed;
            if (newest != null && (sum.newest == null || newest.isAfter(sum.newest))) {
                sum.newest = newest;
            }
        }

        void probe(String expectation, OffsetDateTime window, String value) {
            probeNames.add(expectation);
            probeWindows.add(window);
            probeValues.add(value);
        }

        boolean isEmpty() {
            return sums.isEmpty();
        }

        Tuple tuple(int slot, List<String[]> probeFilters) {
            int n = sums.size();
            String[] names = new String[n];
            OffsetDateTime[] windows = new OffsetDateTime[n], newest = new OffsetDateTime[n];
            Long[] checked = new Long[n], failed = new Long[n];
            int i = 0;
            for (Map.Entry<Key, Sum> entry : sums.entrySet()) {
                names[i] = entry.getKey().expectation();
                windows[i] = entry.getKey().window();
                checked[i] = entry.getValue().checked;
                failed[i] = entry.getValue().failed;
                newest[i++] = entry.getValue().newest;
            }
            Tuple tuple = Tuple.tuple().addArrayOfString(names).addArrayOfOffsetDateTime(windows)
                    .addArrayOfLong(checked).addArrayOfLong(failed).addArrayOfOffsetDateTime(newest)
                    .addArrayOfString(probeNames.toArray(String[]::new))
                    .addArrayOfOffsetDateTime(probeWindows.toArray(OffsetDateTime[]::new))
                    .addArrayOfString(probeValues.toArray(String[]::new))
                    .addInteger(slot);
            probeFilters.forEach(tuple::addArrayOfString);
            return tuple;
        }
    }
}
