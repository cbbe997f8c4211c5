package io.sluice.webhook;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;

/**
 * Bounds the webhook requests waiting on PostgreSQL ({@code sluice.webhook.max-in-flight}): a request that finds every
 * slot taken is not queued but refused at once, so a slow or saturated database turns into 503s, never into growing
 * memory.
 */
@ApplicationScoped
public class InFlightLimit {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final int max;

    public InFlightLimit(SluiceConfig config, SluiceMetrics metrics) {
        this.max = config.webhook().maxInFlight();
        metrics.webhookInFlight(inFlight::get);
    }

    /** Runs {@code work} in a slot until it ends (item, failure or cancellation), or answers {@code full} at once. */
    public <T> Uni<T> run(Supplier<Uni<? extends T>> work, Supplier<T> full) {
        if (inFlight.incrementAndGet() > max) {
            inFlight.decrementAndGet();
            return Uni.createFrom().item(full);
        }
        return Uni.createFrom().<T>deferred(work)
                .onTermination().invoke(inFlight::decrementAndGet);
    }

    public int inFlight() {
        return inFlight.get();
    }
}
