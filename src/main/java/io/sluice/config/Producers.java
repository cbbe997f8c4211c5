package io.sluice.config;

import java.time.Clock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.validation.Validator;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.sluice.event.EventDecoder;
import io.sluice.event.EventValidator;

/** Builds the pure pieces of the pipeline from configuration. */
@ApplicationScoped
public class Producers {

    @Produces
    @ApplicationScoped
    Clock clock() {
        return Clock.systemUTC();
    }

    @Produces
    @ApplicationScoped
    EventDecoder eventDecoder(SluiceConfig config) {
        SluiceConfig.Limits limits = config.limits();
        return new EventDecoder(limits.maxDepth(), limits.maxEventBytes(), limits.maxBatchEvents());
    }

    @Produces
    @ApplicationScoped
    EventValidator eventValidator(ObjectMapper mapper, Validator validator, Clock clock, SluiceConfig config) {
        return new EventValidator(mapper, validator, clock, config.limits().maxFutureSkew());
    }
}
