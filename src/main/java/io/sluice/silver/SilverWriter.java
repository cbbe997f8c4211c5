package io.sluice.silver;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Set-based idempotent upserts into silver: one statement for the events of a batch, one for their lines. The rule
 * (SPEC.md section 6): the same payload changes nothing; a different payload replaces the row only when it comes from
 * a later bronze delivery; re-promoting the same delivery (a replay) rewrites the row with the current transform.
 */
@ApplicationScoped
public class SilverWriter {

    private static final String COLUMNS = """
            event_id, event_type, occurred_at, user_id, anonymous_id, session_id, page_url, page_referrer, page_title,
            sku, product_name, product_category, product_brand, product_price, product_currency, quantity, order_id,
            order_total, currency, ip_hash, user_agent, locale, properties, attributes, schema_version,
            cloudevent_source, source, channel, bronze_id, bronze_received_at, payload_hash, first_received_at""";

    private static final String UPSERT = "WITH input AS (SELECT * FROM jsonb_populate_recordset(null::silver.events, $1::text::jsonb))"
            + " INSERT INTO silver.events AS s (" + COLUMNS + ", promoted_at)"
            + " SELECT " + COLUMNS + ", now() FROM input"
            + " ON CONFLICT (event_id) DO UPDATE SET (" + COLUMNS + ", promoted_at) = ("
            + COLUMNS.replaceAll("(\\w+)", "excluded.$1").replace("excluded.first_received_at",
                    "LEAST(s.first_received_at, excluded.first_received_at)")
            + ", now())"
            + " WHERE (excluded.bronze_received_at, excluded.bronze_id) >= (s.bronze_received_at, s.bronze_id)"
            + " AND NOT (excluded.payload_hash = s.payload_hash AND excluded.bronze_id <> s.bronze_id)"
            + " RETURNING event_id";

    private static final String REPLACE_ITEMS_DELETE = "DELETE FROM silver.order_items WHERE event_id = ANY($1::text[])";

    private static final String INSERT_ITEMS = """
            INSERT INTO silver.order_items (event_id, line_no, order_id, sku, name, category, brand, quantity,
                                            unit_price, currency)
            SELECT event_id, line_no, order_id, sku, name, category, brand, quantity, unit_price, currency
            FROM jsonb_populate_recordset(null::silver.order_items, $1::text::jsonb)
            WHERE event_id = ANY($2::text[])
            """;

    private final ObjectMapper mapper;

    public SilverWriter(ObjectMapper mapper) {
        this.mapper = mapper.copy().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }

    /**
     * Upserts events that are distinct by event_id; returns the event_ids whose silver row changed (inserted or
     * replaced), the only ones whose lines and gold facts need rework.
     */
    public Uni<List<String>> upsert(SqlConnection connection, List<SilverEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<SilverEvent.OrderItem> items = new ArrayList<>();
        events.forEach(e -> items.addAll(e.items()));
        return connection.preparedQuery(UPSERT).execute(Tuple.of(json(events)))
                .map(rows -> {
                    List<String> changed = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        changed.add(row.getString("event_id"));
                    }
                    return changed;
                })
                .call(changed -> replaceItems(connection, changed, items));
    }

    private Uni<Void> replaceItems(SqlConnection connection, List<String> changed, List<SilverEvent.OrderItem> items) {
        if (changed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String[] ids = changed.toArray(String[]::new);
        return connection.preparedQuery(REPLACE_ITEMS_DELETE).execute(Tuple.of(ids))
                .chain(() -> items.isEmpty()
                        ? Uni.createFrom().voidItem()
                        : connection.preparedQuery(INSERT_ITEMS).execute(Tuple.of(json(items), ids)).replaceWithVoid())
                .replaceWithVoid();
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write silver rows as JSON", e);
        }
    }
}
