package io.sluice.health;

import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.quarkus.logging.Log;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Readiness: PostgreSQL answers {@code SELECT 1} within {@code sluice.database.health-timeout}. A refused connection
 * and a hung database are both DOWN, and quickly: a stall is logged and counted
 * ({@code sluice_database_stalls_total{operation="health"}}). It replaces Quarkus's own datasource check, which
 * blocks a worker thread for up to 20 s on a hung database.
 */
@Readiness
@ApplicationScoped
public class DatabaseHealthCheck implements AsyncHealthCheck {

    static final String NAME = "PostgreSQL";

    private final Pool pool;
    private final SluiceMetrics metrics;
    private final SluiceConfig.Database config;

    public DatabaseHealthCheck(Pool pool, SluiceMetrics metrics, SluiceConfig config) {
        this.pool = pool;
        this.metrics = metrics;
        this.config = config.database();
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return pool.query("SELECT 1").execute()
                .ifNoItem().after(config.healthTimeout()).failWith(TimeoutException::new)
                .map(rows -> HealthCheckResponse.named(NAME).up().build())
                .onFailure().recoverWithItem(this::down);
    }

    private HealthCheckResponse down(Throwable failure) {
        String error = failure.getClass().getSimpleName();
        if (failure instanceof TimeoutException) {
            metrics.databaseStall("health");
            Log.warnf("PostgreSQL did not answer the readiness check within %s: readiness DOWN",
                    config.healthTimeout());
            error = "no answer within " + config.healthTimeout();
        }
        return HealthCheckResponse.named(NAME).down().withData("error", error).build();
    }
}
