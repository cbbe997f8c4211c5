package io.sluice.bronze;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/** Remembers each (partner, webhook-id) with the answer it got, so a redelivery is answered the same way. */
@ApplicationScoped
public class WebhookDeliveries {

    /** The answer given to a delivery. */
    public record Answer(int status, String body) {
    }

    private final Pool pool;

    public WebhookDeliveries(Pool pool) {
        this.pool = pool;
    }

    /** The answer stored for an earlier delivery, if any (outside any transaction: the fast path). */
    public Uni<Optional<Answer>> find(String partner, String webhookId) {
        return find(pool, partner, webhookId);
    }

    /**
     * Claims a webhook-id inside the landing transaction. False when it was already claimed: by an earlier delivery
     * or by a concurrent one that has since committed (the insert waits for it).
     */
    public Uni<Boolean> claim(SqlConnection connection, String partner, String webhookId) {
        return connection.preparedQuery("""
                INSERT INTO bronze.webhook_deliveries (partner, webhook_id, status, response)
                VALUES ($1, $2, 0, 'null') ON CONFLICT DO NOTHING
                """).execute(Tuple.of(partner, webhookId)).map(rows -> rows.rowCount() == 1);
    }

    /** Stores the answer's JSON (bound as text: the reactive client would encode a String bound to jsonb as a JSON string). */
    public Uni<Void> answer(SqlConnection connection, String partner, String webhookId, Answer answer) {
        return connection.preparedQuery("""
                UPDATE bronze.webhook_deliveries SET status = $3, response = $4::text::jsonb
                WHERE partner = $1 AND webhook_id = $2
                """).execute(Tuple.of(partner, webhookId, answer.status(), answer.body())).replaceWithVoid();
    }

    public Uni<Optional<Answer>> find(io.vertx.mutiny.sqlclient.SqlClient client, String partner, String webhookId) {
        return client.preparedQuery("""
                SELECT status, response::text AS response FROM bronze.webhook_deliveries
                WHERE partner = $1 AND webhook_id = $2 AND status > 0
                """).execute(Tuple.of(partner, webhookId)).map(rows -> {
            var it = rows.iterator();
            if (!it.hasNext()) {
                return Optional.empty();
            }
            Row row = it.next();
            return Optional.of(new Answer(row.getInteger("status"), row.getString("response")));
        });
    }
}
