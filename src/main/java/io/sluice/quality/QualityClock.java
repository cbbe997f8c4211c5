package io.sluice.quality;

import java.time.Clock;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

/** "Now" for the evaluator: which hour is current, how old the newest event is. */
@ApplicationScoped
public class QualityClock {

    private final Clock clock;

    public QualityClock(Clock clock) {
        this.clock = clock;
    }

    public Instant now() {
        return clock.instant();
    }
}
