package io.sluice.quality;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/** Reads of {@code quality.results} for operators: each expectation's latest verdict and its recent history. */
@ApplicationScoped
public class QualityResults {

    private static final String HISTORY = """
            SELECT expectation, window_start, verdict, observed, threshold, checked, failed, detail, evaluated_at
            FROM quality.results WHERE expectation = ANY($1::text[]) AND window_start >= $2
            ORDER BY expectation, window_start DESC
            """;

    /** One window's result. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Result(OffsetDateTime windowStart, String verdict, Double observed, double threshold, long checked,
            long failed, String detail, OffsetDateTime evaluatedAt) {
    }

    /**
     * An expectation with its latest verdict (the newest window of the last day whose verdict is not
     * {@code no_data}; {@code no_data} when there is none) and its history, newest window first.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Status(String name, String kind, String field, List<String> eventTypes, List<String> sources,
            String verdict, Result latest, List<Result> history) {
    }

    private final Pool pool;
    private final Expectations expectations;
    private final QualityClock clock;

    public QualityResults(Pool pool, Expectations expectations, QualityClock clock) {
        this.pool = pool;
        this.expectations = expectations;
        this.clock = clock;
    }

    /** The given expectations (all configured ones when empty) with {@code hours} of history. */
    public Uni<List<Status>> statuses(List<Expectation> which, int hours) {
        List<Expectation> chosen = which.isEmpty() ? expectations.all() : which;
        OffsetDateTime now = OffsetDateTime.ofInstant(clock.now(), ZoneOffset.UTC);
        OffsetDateTime day = QualityCounters.window(now).minusDays(1);
        OffsetDateTime since = QualityCounters.window(now).minusHours(Math.max(hours, 24));
        OffsetDateTime historySince = QualityCounters.window(now).minusHours(hours);
        String[] names = chosen.stream().map(Expectation::name).toArray(String[]::new);
        return pool.preparedQuery(HISTORY).execute(Tuple.of(names, since)).map(rows -> {
            Map<String, List<Result>> byName = new LinkedHashMap<>();
            for (Row row : rows) {
                byName.computeIfAbsent(row.getString("expectation"), n -> new ArrayList<>()).add(result(row));
            }
            List<Status> statuses = new ArrayList<>();
            for (Expectation e : chosen) {
                List<Result> all = byName.getOrDefault(e.name(), List.of());
                Result latest = all.stream()
                        .filter(r -> !Verdict.NO_DATA.equals(r.verdict()) && !r.windowStart().isBefore(day))
                        .findFirst().orElse(null);
                statuses.add(new Status(e.name(), e.kind().configName(), e.field().map(Field::path).orElse(null),
                        e.eventTypes().stream().sorted().toList(), e.sources().stream().sorted().toList(),
                        latest == null ? Verdict.NO_DATA : latest.verdict(), latest,
                        all.stream().filter(r -> !r.windowStart().isBefore(historySince)).toList()));
            }
            return statuses;
        });
    }

    private static Result result(Row row) {
        return new Result(row.getOffsetDateTime("window_start"), row.getString("verdict"), row.getDouble("observed"),
                row.getDouble("threshold"), row.getLong("checked"), row.getLong("failed"), row.getString("detail"),
                row.getOffsetDateTime("evaluated_at"));
    }
}
