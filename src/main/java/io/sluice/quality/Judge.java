package io.sluice.quality;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns summed counters into verdicts; pure, so every rule is unit-tested. Row kinds judge the current and the
 * previous hour by their failing ratio; freshness judges the newest event's age now; volume judges the previous
 * (complete) hour against the mean of the same hour on the 7 days before, and the current hour only when it is already
 * above the upper bound (an hour in progress is otherwise {@code no_data}).
 */
public final class Judge {

    /** The sums of one expectation's counters in one window. */
    public record Sums(long checked, long failed, OffsetDateTime newest) {

        static final Sums NONE = new Sums(0, 0, null);
    }

    static final int BASELINE_DAYS = 7;

    private Judge() {
    }

    /** The windows the evaluator needs counters for, when the current hour starts at {@code current}. */
    public static List<OffsetDateTime> windows(OffsetDateTime current) {
        List<OffsetDateTime> windows = new ArrayList<>();
        for (int day = 0; day <= BASELINE_DAYS; day++) {
            windows.add(current.minusDays(day));
            windows.add(current.minusHours(1).minusDays(day));
        }
        return windows;
    }

    /**
     * The verdicts of one expectation. {@code sums} holds its counters by window (absent windows had no rows);
     * {@code newest} is the latest occurred_at over all its counters (freshness).
     */
    public static List<Verdict> judge(Expectation e, OffsetDateTime now, Map<OffsetDateTime, Sums> sums,
            OffsetDateTime newest) {
        OffsetDateTime current = QualityCounters.window(now);
        OffsetDateTime previous = current.minusHours(1);
        List<Verdict> verdicts = new ArrayList<>();
        switch (e.kind()) {
            case FRESHNESS -> verdicts.add(freshness(e, current, now, newest));
            case VOLUME -> {
                verdicts.add(volume(e, previous, sums, true));
                verdicts.add(volume(e, current, sums, false));
            }
            default -> {
                for (OffsetDateTime window : List.of(previous, current)) {
                    Sums s = sums.get(window);
                    if (s != null) {
                        verdicts.add(ratio(e, window, s));
                    }
                }
            }
        }
        return verdicts;
    }

    static Verdict ratio(Expectation e, OffsetDateTime window, Sums s) {
        if (s.checked() < e.minRows()) {
            return new Verdict(e.name(), e.kind(), window, s.checked(), s.failed(), null, e.maxRatio(),
                    Verdict.NO_DATA, s.checked() + " rows checked, fewer than min-rows " + e.minRows());
        }
        double ratio = (double) s.failed() / s.checked();
        boolean fail = ratio > e.maxRatio();
        return new Verdict(e.name(), e.kind(), window, s.checked(), s.failed(), ratio, e.maxRatio(),
                fail ? Verdict.FAIL : Verdict.PASS, s.failed() + " of " + s.checked() + " rows " + failing(e.kind()));
    }

    private static String failing(Kind kind) {
        return switch (kind) {
            case NOT_NULL -> "null";
            case UNIQUE -> "duplicates";
            case ACCEPTED_VALUES -> "not accepted";
            default -> "out of range";
        };
    }

    static Verdict freshness(Expectation e, OffsetDateTime window, OffsetDateTime now, OffsetDateTime newest) {
        double maxAge = e.maxAge().orElseThrow().toSeconds();
        if (newest == null) {
            return new Verdict(e.name(), e.kind(), window, 0, 0, null, maxAge, Verdict.FAIL,
                    "no event within the counters' retention");
        }
        double age = Math.max(0, Duration.between(newest, now).toMillis() / 1000.0);
        return new Verdict(e.name(), e.kind(), window, 0, 0, age, maxAge, age > maxAge ? Verdict.FAIL : Verdict.PASS,
                "newest event occurred at " + newest);
    }

    static Verdict volume(Expectation e, OffsetDateTime window, Map<OffsetDateTime, Sums> sums, boolean complete) {
        long observed = sums.getOrDefault(window, Sums.NONE).checked();
        long history = 0;
        for (int day = 1; day <= BASELINE_DAYS; day++) {
            history += sums.getOrDefault(window.minusDays(day), Sums.NONE).checked();
        }
        double baseline = (double) history / BASELINE_DAYS;
        double lower = baseline / e.factor();
        double upper = baseline * e.factor();
        String bounds = String.format(java.util.Locale.ROOT, "baseline %.1f events/h, accepted %.1f to %.1f%s",
                baseline, lower, upper, complete ? "" : " (hour in progress: only too many can fail)");
        String verdict;
        if (baseline < e.minBaseline()) {
            verdict = Verdict.NO_DATA;
            bounds = String.format(java.util.Locale.ROOT, "baseline %.1f events/h under min-baseline %.1f", baseline,
                    e.minBaseline());
        } else if (observed > upper) {
            verdict = Verdict.FAIL;
        } else if (!complete) {
            verdict = Verdict.NO_DATA;
        } else {
            verdict = observed < lower ? Verdict.FAIL : Verdict.PASS;
        }
        return new Verdict(e.name(), e.kind(), window, observed, 0, (double) observed, e.factor(), verdict, bounds);
    }
}
