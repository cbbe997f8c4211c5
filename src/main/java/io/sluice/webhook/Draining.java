package io.sluice.webhook;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.sluice.config.SluiceConfig;
import io.sluice.error.Problems;
import io.sluice.metrics.SluiceMetrics;

/**
 * Rolling restarts (SPEC section 8): from SIGTERM on, webhooks are answered 503 with {@code Retry-After} at once
 * instead of starting new work, while readiness is DOWN (Quarkus's shutdown delay) and the Service stops routing
 * here. Requests already past this filter finish within {@code quarkus.shutdown.timeout}; every request is answered
 * 202 (durable) or 503 (nothing kept, retry), never cut.
 */
@ApplicationScoped
public class Draining {

    private final SluiceMetrics metrics;
    private final int retryAfterSeconds;
    private volatile boolean draining;

    public Draining(SluiceMetrics metrics, SluiceConfig config) {
        this.metrics = metrics;
        this.retryAfterSeconds = config.webhook().retryAfterSeconds();
    }

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent shutdown) {
        draining = true;
        metrics.draining();
        Log.info("shutting down: readiness DOWN, webhooks answer 503 with Retry-After, in-flight work finishes");
    }

    @ServerRequestFilter(preMatching = true)
    public Optional<Response> refuseWhileDraining(ContainerRequestContext request) {
        if (!draining || !request.getUriInfo().getPath().startsWith("/v1/webhooks")) {
            return Optional.empty();
        }
        // Connection: close, so the partner's next attempt opens a new connection (to another instance)
        return Optional.of(Response.fromResponse(Problems.unavailable(retryAfterSeconds,
                "This instance is shutting down; nothing was kept. Retry after the delay in Retry-After."))
                .header("Connection", "close").build());
    }
}
