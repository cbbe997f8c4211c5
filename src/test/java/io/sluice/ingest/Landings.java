package io.sluice.ingest;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;

import io.sluice.event.EventDecoder;
import io.sluice.support.Db;

/** What the group-commit tests share: a held landing statement, and events decoded as a webhook door would. */
final class Landings {

    private Landings() {
    }

    /** Takes the row lock a landing of this delivery would need, in an open transaction. */
    static Connection holdDelivery(String partner, String webhookId) throws Exception {
        Connection connection = Db.connect();
        connection.setAutoCommit(false);
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO bronze.webhook_deliveries (partner, webhook_id, status, response)
                VALUES (?, ?, 202, '{}')""")) {
            insert.setString(1, partner);
            insert.setString(2, webhookId);
            insert.executeUpdate();
        }
        return connection;
    }

    /** One native event, decoded by the pipeline, as a webhook request of {@code source} brings it. */
    static Incoming incoming(IngestPipeline pipeline, String source, String json, Map<String, String> headers) {
        var decoded = (EventDecoder.Events) pipeline.decode(json.getBytes(StandardCharsets.UTF_8),
                EventDecoder.Format.NATIVE, Map.of());
        return Incoming.webhook(source, decoded.events().get(0), headers);
    }
}
