package io.sluice.quality;

import java.time.Clock;
import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

/**
 * The evaluator one hour ahead ({@link QualityProfile} only): the hour real events land in is then the last complete
 * hour, which volume judges, so a test can make a complete hour's volume fail and recover with real events.
 */
@Alternative
@ApplicationScoped
public class ShiftedQualityClock extends QualityClock {

    static final Duration SHIFT = Duration.ofHours(1);

    public ShiftedQualityClock() {
        super(Clock.offset(Clock.systemUTC(), SHIFT));
    }
}
