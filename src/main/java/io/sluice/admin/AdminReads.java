package io.sluice.admin;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.mutiny.Uni;
import io.sluice.admin.AdminViews.BronzeDelivery;
import io.sluice.admin.AdminViews.GoldFact;
import io.sluice.admin.AdminViews.Lineage;
import io.sluice.admin.AdminViews.OrderItem;
import io.sluice.admin.AdminViews.Quarantined;
import io.sluice.admin.AdminViews.QuarantinedPage;
import io.sluice.admin.AdminViews.Rejected;
import io.sluice.admin.AdminViews.RejectedPage;
import io.sluice.admin.AdminViews.SilverRow;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** The admin API's read-only queries, over the reactive client. It writes nothing. */
@ApplicationScoped
public class AdminReads {

    private static final String BRONZE = """
            SELECT b.id, b.received_at, b.event_type, b.channel, b.source, encode(b.payload_hash, 'hex') AS payload_hash,
                   b.headers::text AS headers, b.kafka_topic, b.kafka_partition, b.kafka_offset,
                   q.bronze_id IS NOT NULL OR p.batch_id IS NOT NULL AS awaiting, q.attempts, q.last_error
            FROM bronze.events b
            LEFT JOIN bronze.promotion_queue q ON q.bronze_id = b.id
            LEFT JOIN bronze.promotion_batches p ON p.batch_id = b.id / 65536 AND p.received_at = b.received_at
            WHERE b.event_id = $1 ORDER BY b.received_at, b.id
            """;
    private static final String REJECTED_COLUMNS = "id, event_id, event_type, channel, source, received_at, reason, violations::text AS violations";
    private static final String SILVER = """
            SELECT event_type, occurred_at, user_id, anonymous_id, session_id, sku, quantity, order_id, order_total,
                   currency, schema_version, source, channel, bronze_id, encode(payload_hash, 'hex') AS payload_hash,
                   first_received_at, promoted_at
            FROM silver.events WHERE event_id = $1
            """;
    private static final String ITEMS = """
            SELECT line_no, order_id, sku, quantity, unit_price, currency
            FROM silver.order_items WHERE event_id = $1 ORDER BY line_no
            """;
    private static final String FACTS = """
            SELECT line_no, order_id, date_key, product_key, customer_key, quantity, unit_price, revenue, currency
            FROM gold.fact_order_line WHERE event_id = $1 ORDER BY line_no
            """;
    private static final String QUARANTINE_COLUMNS = "bronze_id, event_id, received_at, attempts, error, quarantined_at";
    private static final String REJECTED_PAGE = "SELECT " + REJECTED_COLUMNS + """
             FROM bronze.rejected_events
            WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR channel = $2)
              AND ($3::text IS NULL OR reason = $3)
              AND ($4::timestamptz IS NULL OR received_at >= $4) AND ($5::timestamptz IS NULL OR received_at < $5)
              AND ($6::bigint IS NULL OR id < $6)
            ORDER BY id DESC LIMIT $7
            """;
    private static final String QUARANTINE_PAGE = "SELECT " + QUARANTINE_COLUMNS + """
             FROM bronze.quarantine
            WHERE ($1::timestamptz IS NULL OR quarantined_at >= $1) AND ($2::timestamptz IS NULL OR quarantined_at < $2)
              AND ($3::bigint IS NULL OR bronze_id < $3)
            ORDER BY bronze_id DESC LIMIT $4
            """;

    /** Filters of the rejected-events list; every one optional. */
    public record RejectedFilter(Optional<String> source, Optional<String> channel, Optional<String> reason,
            Optional<OffsetDateTime> from, Optional<OffsetDateTime> to) {
    }

    private final Pool pool;
    private final ObjectMapper mapper;

    public AdminReads(Pool pool, ObjectMapper mapper) {
        this.pool = pool;
        this.mapper = mapper;
    }

    public Uni<Lineage> lineage(String eventId) {
        Tuple id = Tuple.of(eventId);
        return Uni.combine().all().unis(
                list(BRONZE, id, this::bronze),
                list("SELECT " + REJECTED_COLUMNS + " FROM bronze.rejected_events WHERE event_id = $1 ORDER BY id", id,
                        this::rejected),
                list(SILVER, id, AdminReads::silver),
                list(ITEMS, id, AdminReads::item),
                list(FACTS, id, AdminReads::fact),
                list("SELECT " + QUARANTINE_COLUMNS + " FROM bronze.quarantine WHERE event_id = $1 ORDER BY bronze_id",
                        id, AdminReads::quarantined))
                .with((bronze, rejects, silver, items, facts, quarantine) -> new Lineage(eventId, bronze, rejects,
                        silver.isEmpty() ? null : silver.get(0), items, facts, quarantine));
    }

    public Uni<RejectedPage> rejected(RejectedFilter filter, Optional<Long> before, int limit) {
        Tuple params = Tuple.tuple()
                .addValue(filter.source().orElse(null)).addValue(filter.channel().orElse(null))
                .addValue(filter.reason().orElse(null))
                .addValue(filter.from().orElse(null)).addValue(filter.to().orElse(null))
                .addValue(before.orElse(null)).addValue(limit + 1);
        return list(REJECTED_PAGE, params, this::rejected)
                .map(rows -> new RejectedPage(first(rows, limit), next(rows, limit, Rejected::id)));
    }

    public Uni<QuarantinedPage> quarantined(Optional<OffsetDateTime> from, Optional<OffsetDateTime> to,
            Optional<Long> before, int limit) {
        Tuple params = Tuple.tuple().addValue(from.orElse(null)).addValue(to.orElse(null))
                .addValue(before.orElse(null)).addValue(limit + 1);
        return list(QUARANTINE_PAGE, params, AdminReads::quarantined)
                .map(rows -> new QuarantinedPage(first(rows, limit), next(rows, limit, Quarantined::bronzeId)));
    }

    private <T> Uni<List<T>> list(String sql, Tuple params, Function<Row, T> view) {
        return pool.preparedQuery(sql).execute(params).map(rows -> map(rows, view));
    }

    private static <T> List<T> map(RowSet<Row> rows, Function<Row, T> view) {
        List<T> views = new ArrayList<>(rows.size());
        for (Row row : rows) {
            views.add(view.apply(row));
        }
        return views;
    }

    private static <T> List<T> first(List<T> rows, int limit) {
        return rows.size() > limit ? List.copyOf(rows.subList(0, limit)) : rows;
    }

    /** The cursor of the next page: the key of the last row shown, when there is more. */
    private static <T> String next(List<T> rows, int limit, Function<T, Long> key) {
        return rows.size() > limit ? Long.toString(key.apply(rows.get(limit - 1))) : null;
    }

    private BronzeDelivery bronze(Row row) {
        return new BronzeDelivery(row.getLong("id"), row.getOffsetDateTime("received_at"), row.getString("event_type"),
                row.getString("channel"), row.getString("source"), row.getString("payload_hash"),
                json(row.getString("headers")), row.getString("kafka_topic"), row.getInteger("kafka_partition"),
                row.getLong("kafka_offset"), row.getBoolean("awaiting"), row.getInteger("attempts"),
                row.getString("last_error"));
    }

    private Rejected rejected(Row row) {
        return new Rejected(row.getLong("id"), row.getString("event_id"), row.getString("event_type"),
                row.getString("channel"), row.getString("source"), row.getOffsetDateTime("received_at"),
                row.getString("reason"), json(row.getString("violations")));
    }

    private static SilverRow silver(Row row) {
        return new SilverRow(row.getString("event_type"), row.getOffsetDateTime("occurred_at"),
                row.getString("user_id"), row.getString("anonymous_id"), row.getString("session_id"),
                row.getString("sku"), row.getInteger("quantity"), row.getString("order_id"),
                row.getBigDecimal("order_total"), row.getString("currency"), row.getInteger("schema_version"),
                row.getString("source"), row.getString("channel"), row.getLong("bronze_id"),
                row.getString("payload_hash"), row.getOffsetDateTime("first_received_at"),
                row.getOffsetDateTime("promoted_at"));
    }

    private static OrderItem item(Row row) {
        return new OrderItem(row.getInteger("line_no"), row.getString("order_id"), row.getString("sku"),
                row.getInteger("quantity"), row.getBigDecimal("unit_price"), row.getString("currency"));
    }

    private static GoldFact fact(Row row) {
        return new GoldFact(row.getInteger("line_no"), row.getString("order_id"), row.getInteger("date_key"),
                row.getLong("product_key"), row.getLong("customer_key"), row.getInteger("quantity"),
                row.getBigDecimal("unit_price"), row.getBigDecimal("revenue"), row.getString("currency"));
    }

    private static Quarantined quarantined(Row row) {
        return new Quarantined(row.getLong("bronze_id"), row.getString("event_id"),
                row.getOffsetDateTime("received_at"), row.getInteger("attempts"), row.getString("error"),
                row.getOffsetDateTime("quarantined_at"));
    }

    private JsonNode json(String text) {
        try {
            return text == null ? null : mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("PostgreSQL returned unreadable JSON", e);
        }
    }
}
