package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.sluice.silver.SilverChanges;
import io.sluice.silver.SilverEvent;

/** What a round's silver changes add to the counters, before the one statement sends them. */
class QualityCountersTest {

    static final OffsetDateTime RECEIVED = OffsetDateTime.parse("2026-12-01T14:37:12Z");

    static SilverEvent event(String id, String type, String source, String userId, BigDecimal price) {
        return new SilverEvent(id, type, RECEIVED.minusMinutes(5), userId, "anon-1", null, null, null, null, "SKU-1",
                null, null, null, price, null, null, null, null, null, null, null, null, null, null, 1, null, source,
                "webhook", 1L, RECEIVED, "\\x00", RECEIVED, List.of());
    }

    static SilverEvent withPrice(String price) {
        return event("p", "product_view", "acme", "u", new BigDecimal(price));
    }

    private static Expectation of(String name, Kind kind, String field, Set<String> types) {
        return new Expectation(name, kind, types, Set.of("acme"), Optional.ofNullable(field).flatMap(Field::of), 0, 1,
                Set.of(), Optional.empty(), Optional.empty(), Optional.of(java.time.Duration.ofHours(1)), 3, 10);
    }

    @Test
    void rowsAreCountedPerExpectationAndHourOfReceiptAndOnlyWhereTheyApply() {
        SilverEvent a = event("a", "purchase", "acme", null, null);
        SilverEvent b = event("b", "purchase", "acme", "u-1", null);
        SilverEvent c = event("c", "page_view", "acme", null, null);
        SilverEvent d = event("d", "purchase", "other", null, null);
        SilverChanges.Replaced replacedB = new SilverChanges.Replaced("b", "purchase", RECEIVED, "u-1", null, null,
                null, null, null, null, null, List.of());
        List<Expectation> expectations = List.of(of("users", Kind.NOT_NULL, "user_id", Set.of("purchase")),
                of("ids", Kind.UNIQUE, "event_id", Set.of()), of("users-once", Kind.UNIQUE, "user_id", Set.of()),
                of("volume", Kind.VOLUME, null, Set.of()),
                of("fresh", Kind.FRESHNESS, null, Set.of()));

        QualityCounters.Counts counts = QualityCounters.count(expectations,
                new SilverChanges(List.of(a, b, c, d), List.of(replacedB)));

        OffsetDateTime hour = OffsetDateTime.parse("2026-12-01T14:00:00Z");
        assertThat(counts.sums).containsOnlyKeys(new QualityCounters.Counts.Key("users", hour),
                new QualityCounters.Counts.Key("ids", hour), new QualityCounters.Counts.Key("users-once", hour),
                new QualityCounters.Counts.Key("volume", hour),
                new QualityCounters.Counts.Key("fresh", hour));
        QualityCounters.Counts.Sum users = counts.sums.get(new QualityCounters.Counts.Key("users", hour));
        assertThat(users.checked).isEqualTo(2);
        assertThat(users.failed).isEqualTo(1);
        // volume counts new events only: b replaced an existing row
        assertThat(counts.sums.get(new QualityCounters.Counts.Key("volume", hour)).checked).isEqualTo(2);
        assertThat(counts.sums.get(new QualityCounters.Counts.Key("fresh", hour)).newest)
                .isEqualTo(RECEIVED.minusMinutes(5));
        // unique on silver's primary key passes without a probe; on another column the values are probed
        QualityCounters.Counts.Sum ids = counts.sums.get(new QualityCounters.Counts.Key("ids", hour));
        assertThat(ids.checked).isEqualTo(3);
        assertThat(ids.failed).isZero();
        assertThat(counts.probeValues).containsExactly("u-1");
        assertThat(counts.probeNames).containsOnly("users-once");
    }

    @Test
    void windowsAreUtcHours() {
        assertThat(QualityCounters.window(OffsetDateTime.parse("2026-12-01T15:59:59.999+01:00")))
                .isEqualTo(OffsetDateTime.parse("2026-12-01T14:00:00Z"));
    }
}
