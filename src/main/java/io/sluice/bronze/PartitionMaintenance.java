package io.sluice.bronze;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.sluice.config.SluiceConfig;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Keeps bronze.events partitioned by day: creates the partitions ahead of time and drops the ones past retention,
 * with expired webhook-ids and seen-event keys. Idempotent; safe when several replicas run it.
 */
@ApplicationScoped
public class PartitionMaintenance {

    private final Pool pool;
    private final SluiceConfig config;

    public PartitionMaintenance(Pool pool, SluiceConfig config) {
        this.pool = pool;
        this.config = config;
    }

    void onStart(@Observes StartupEvent start) {
        maintain().subscribe().with(ignored -> {
        }, e -> Log.warnf("bronze partition maintenance at start failed, will retry hourly: %s", e.toString()));
    }

    @Scheduled(every = "1h", delayed = "1h", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> maintain() {
        long retention = config.bronze().retention().toSeconds();
        long deliveries = config.webhook().deliveryRetention().toSeconds();
        return pool.withTransaction(connection -> connection
                .preparedQuery("SELECT pg_advisory_xact_lock(hashtext('sluice.bronze.partitions'))").execute()
                .chain(() -> connection.preparedQuery(
                        "SELECT bronze.ensure_partitions($1) AS created, bronze.drop_expired_partitions($2::bigint * interval '1 second') AS dropped")
                        .execute(Tuple.of(config.bronze().partitionsAhead(), retention)))
                .call(() -> connection.preparedQuery(
                        "DELETE FROM bronze.webhook_deliveries WHERE received_at < now() - $1::bigint * interval '1 second'")
                        .execute(Tuple.of(deliveries)))
                .invoke(rows -> {
                    var row = rows.iterator().next();
                    Log.infof("bronze partitions: %d created, %d dropped (retention %s)", row.getInteger("created"),
                            row.getInteger("dropped"), config.bronze().retention());
                })
                .replaceWithVoid());
    }
}
