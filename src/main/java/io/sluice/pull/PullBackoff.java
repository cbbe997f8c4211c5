package io.sluice.pull;

import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Delay before the next attempt of a failing source: {@code initial * 2^(failures-1)} capped at {@code max}, with
 * equal jitter (half fixed, half random), and never shorter than what the API asked for in {@code Retry-After}
 * (itself capped at an hour, so a broken header cannot park a source for days).
 */
final class PullBackoff {

    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;

    PullBackoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initial = initial;
        this.max = max;
        this.random = random;
    }

    Duration delay(int failures, Optional<Duration> retryAfter) {
        int exponent = Math.min(Math.max(failures, 1) - 1, 30);
        long millis = Math.min(max.toMillis(), initial.toMillis() * (1L << exponent));
        long jittered = millis / 2 + (long) (random.getAsDouble() * (millis - millis / 2));
        Duration backoff = Duration.ofMillis(jittered);
        Duration asked = retryAfter.map(d -> d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d)
                .orElse(Duration.ZERO);
        return asked.compareTo(backoff) > 0 ? asked : backoff;
    }
}
