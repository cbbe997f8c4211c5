package io.sluice.gold;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.sluice.silver.SilverChanges;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Brings gold up to date with one silver upsert, in the caller's transaction: {@code gold.apply_changes} (migration
 * V5) updates dim_date, dim_customer, dim_product (SCD 2), fact_order_line and the daily metrics for the keys the
 * changed rows touch, in one round trip.
 */
@ApplicationScoped
public class GoldWriter {

    private static final String APPLY = "SELECT gold.apply_changes($1::text[], $2::text::jsonb, $3::text::jsonb)";

    public Uni<Void> apply(SqlConnection connection, SilverChanges changes) {
        if (changes.changed().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return connection.preparedQuery(APPLY)
                .execute(Tuple.of(changes.changed().toArray(String[]::new), changes.replacedEventsJson(),
                        changes.replacedItemsJson()))
                .replaceWithVoid();
    }
}
