package io.sluice.promotion;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * When a failing event is tried again: the initial delay doubled per attempt, capped, with "equal jitter" (a random
 * point in the upper half of the delay), so events that failed together do not come back together. Pure.
 */
public final class Backoff {

    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;

    public Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initial = initial;
        this.max = max;
        this.random = random;
    }

    /** The delay after the given failed attempt (1 for the first failure). */
    public Duration after(int attempt) {
        long capped = max.toMillis();
        long exponential = initial.toMillis();
        for (int i = 1; i < attempt && exponential < capped; i++) {
            exponential *= 2;
        }
        long delay = Math.min(exponential, capped);
        return Duration.ofMillis(delay / 2 + Math.round(delay / 2.0 * random.getAsDouble()));
    }
}
