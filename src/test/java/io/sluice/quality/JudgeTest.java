package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The verdict rules, on sums given directly. */
class JudgeTest {

    private static final OffsetDateTime NOW = OffsetDateTime.parse("2026-12-01T14:20:00Z");
    private static final OffsetDateTime CURRENT = OffsetDateTime.parse("2026-12-01T14:00:00Z");
    private static final OffsetDateTime PREVIOUS = CURRENT.minusHours(1);

    private static Expectation rows(Kind kind, double maxRatio, long minRows) {
        return new Expectation("e", kind, Set.of(), Set.of(), Field.of("user_id"), maxRatio, minRows, Set.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), 3, 10);
    }

    private static Expectation volume(double factor, double minBaseline) {
        return new Expectation("v", Kind.VOLUME, Set.of(), Set.of("acme"), Optional.empty(), 0, 1, Set.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), factor, minBaseline);
    }

    @Test
    void aRatioAboveTheAllowedOneFailsAndFewRowsGiveNoVerdict() {
        Expectation e = rows(Kind.NOT_NULL, 0.25, 4);
        Map<OffsetDateTime, Judge.Sums> sums = Map.of(PREVIOUS, new Judge.Sums(8, 2, null), CURRENT,
                new Judge.Sums(4, 2, null));

        List<Verdict> verdicts = Judge.judge(e, NOW, sums, null);

        assertThat(verdicts).extracting(Verdict::window, Verdict::verdict, Verdict::observed)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(PREVIOUS, "pass", 0.25),
                        org.assertj.core.groups.Tuple.tuple(CURRENT, "fail", 0.5));
        assertThat(Judge.ratio(e, CURRENT, new Judge.Sums(3, 3, null)).verdict()).isEqualTo("no_data");
        assertThat(Judge.judge(e, NOW, Map.of(), null)).isEmpty();
    }

    @Test
    void freshnessFailsPastTheMaximumAgeAndWithoutAnyEvent() {
        Expectation e = new Expectation("f", Kind.FRESHNESS, Set.of(), Set.of("acme"), Optional.empty(), 0, 1,
                Set.of(), Optional.empty(), Optional.empty(), Optional.of(Duration.ofHours(1)), 3, 10);

        assertThat(Judge.freshness(e, CURRENT, NOW, NOW.minusMinutes(59)).verdict()).isEqualTo("pass");
        Verdict stale = Judge.freshness(e, CURRENT, NOW, NOW.minusMinutes(61));
        assertThat(stale.verdict()).isEqualTo("fail");
        assertThat(stale.observed()).isEqualTo(3660.0);
        assertThat(stale.threshold()).isEqualTo(3600.0);
        assertThat(Judge.freshness(e, CURRENT, NOW, null).verdict()).isEqualTo("fail");
        assertThat(Judge.freshness(e, CURRENT, NOW, NOW.plusMinutes(2)).observed()).isZero();
    }

    @Test
    void volumeComparesTheLastCompleteHourWithTheSameHourOfTheWeekBefore() {
        Expectation e = volume(2, 5);
        Map<OffsetDateTime, Judge.Sums> sums = new HashMap<>();
        for (int day = 1; day <= 7; day++) {
            sums.put(PREVIOUS.minusDays(day), new Judge.Sums(day <= 3 ? 14 : 7, 0, null)); // mean 10
        }
        sums.put(PREVIOUS, new Judge.Sums(4, 0, null));
        assertThat(Judge.volume(e, PREVIOUS, sums, true).verdict()).isEqualTo("fail"); // under 10 / 2
        sums.put(PREVIOUS, new Judge.Sums(5, 0, null));
        assertThat(Judge.volume(e, PREVIOUS, sums, true).verdict()).isEqualTo("pass");
        sums.put(PREVIOUS, new Judge.Sums(21, 0, null));
        Verdict tooMany = Judge.volume(e, PREVIOUS, sums, true);
        assertThat(tooMany.verdict()).isEqualTo("fail");
        assertThat(tooMany.detail()).contains("baseline 10.0 events/h, accepted 5.0 to 20.0");
    }

    @Test
    void anHourInProgressFailsOnlyWhenAlreadyTooManyAndASmallBaselineGivesNoVerdict() {
        Expectation e = volume(2, 5);
        Map<OffsetDateTime, Judge.Sums> sums = new HashMap<>();
        for (int day = 1; day <= 7; day++) {
            sums.put(CURRENT.minusDays(day), new Judge.Sums(10, 0, null));
        }
        assertThat(Judge.volume(e, CURRENT, sums, false).verdict()).isEqualTo("no_data");
        sums.put(CURRENT, new Judge.Sums(21, 0, null));
        assertThat(Judge.volume(e, CURRENT, sums, false).verdict()).isEqualTo("fail");
        assertThat(Judge.volume(volume(2, 11), CURRENT, sums, false).verdict()).isEqualTo("no_data");
        assertThat(Judge.judge(e, NOW, sums, null)).extracting(Verdict::window).containsExactly(PREVIOUS, CURRENT);
    }

    @Test
    void theWindowsAreTheCurrentAndPreviousHourAndTheSameHoursOfTheWeekBefore() {
        assertThat(Judge.windows(CURRENT)).hasSize(16).contains(CURRENT, PREVIOUS, CURRENT.minusDays(7),
                PREVIOUS.minusDays(7));
    }

    @Test
    void rangeAndAcceptedValuesSkipAbsentValues() {
        Expectation range = new Expectation("r", Kind.RANGE, Set.of(), Set.of(), Field.of("product.price"), 0, 1,
                Set.of(), Optional.of(BigDecimal.ZERO), Optional.of(new BigDecimal("100")), Optional.empty(), 3, 10);
        assertThat(range.check(QualityCountersTest.event("e1", "product_view", "acme", null, null)))
                .isEqualTo(Expectation.Check.SKIPPED);
        assertThat(range.check(QualityCountersTest.withPrice("100.00"))).isEqualTo(Expectation.Check.PASSED);
        assertThat(range.check(QualityCountersTest.withPrice("100.01"))).isEqualTo(Expectation.Check.FAILED);
        assertThat(range.check(QualityCountersTest.withPrice("-1"))).isEqualTo(Expectation.Check.FAILED);
    }
}
