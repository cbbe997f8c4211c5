package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** Exponential backoff with equal jitter and a cap (pure). */
class BackoffTest {

    @Test
    void doublesPerAttemptWithinTheUpperHalfAndStopsAtTheCap() {
        Backoff lowest = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 0.0);
        Backoff highest = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 1.0);

        assertThat(lowest.after(1)).isEqualTo(Duration.ofMillis(500));
        assertThat(highest.after(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(lowest.after(2)).isEqualTo(Duration.ofSeconds(1));
        assertThat(highest.after(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(highest.after(5)).isEqualTo(Duration.ofSeconds(16));
        assertThat(highest.after(6)).isEqualTo(Duration.ofSeconds(30));
        assertThat(lowest.after(60)).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void jitterSpreadsEventsThatFailedTogether() {
        Backoff half = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5), () -> 0.5);

        assertThat(half.after(1)).isEqualTo(Duration.ofMillis(1500));
        assertThat(half.after(2)).isEqualTo(Duration.ofMillis(3000));
    }
}
