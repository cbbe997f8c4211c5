package io.sluice.config;

import java.lang.annotation.ElementType;
import java.time.Clock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.validation.Path;
import jakarta.validation.TraversableResolver;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;

import org.hibernate.validator.HibernateValidatorFactory;

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

    /**
     * The event validator checks plain records, never JPA entities: with Hibernate Reactive on the classpath the
     * default TraversableResolver asks JPA about every property (6.5 % of the webhook path's CPU in a profile), so
     * this one traverses everything without asking.
     */
    @Produces
    @ApplicationScoped
    EventValidator eventValidator(ObjectMapper mapper, ValidatorFactory validators, Clock clock, SluiceConfig config) {
        Validator validator = validators.unwrap(HibernateValidatorFactory.class).usingContext()
                .traversableResolver(TRAVERSE_ALL)
                .enableTraversableResolverResultCache(false) // caching "true" costs more than answering it
                .getValidator();
        return new EventValidator(mapper, validator, clock, config.limits().maxFutureSkew());
    }

    private static final TraversableResolver TRAVERSE_ALL = new TraversableResolver() {

        @Override
        public boolean isReachable(Object bean, Path.Node property, Class<?> rootBeanType, Path pathToProperty,
                ElementType elementType) {
            return true;
        }

        @Override
        public boolean isCascadable(Object bean, Path.Node property, Class<?> rootBeanType, Path pathToProperty,
                ElementType elementType) {
            return true;
        }
    };
}
