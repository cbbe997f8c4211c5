package io.sluice.silver;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Set-based idempotent upserts into silver. The rule (SPEC.md section 6): the same payload changes nothing; a
 * different payload replaces the row only when it comes from a later bronze delivery; re-promoting the same delivery
 * (a replay) rewrites the row with the current transform.
 * <p>
 * Three statements, so that gold can take back exactly what a replacement removes: new event_ids are inserted
 * ({@code ON CONFLICT DO NOTHING}, which waits for a concurrent insert of the same id to commit); the others are
 * locked ({@code FOR UPDATE}) and read as they are, then updated where the rule allows.
 */
@ApplicationScoped
public class SilverWriter {

    private static final String COLUMNS = """
            event_id, event_type, occurred_at, user_id, anonymous_id, session_id, page_url, page_referrer, page_title,
            sku, product_name, product_category, product_brand, product_price, product_currency, quantity, order_id,
            order_total, currency, ip_hash, user_agent, locale, properties, attributes, schema_version,
            cloudevent_source, source, channel, bronze_id, bronze_received_at, payload_hash, first_received_at""";

    /** The rows as 32 arrays, one per column (numbers, JSON and the hash as text, cast by PostgreSQL). */
    private static final String INPUT = """
            WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                $14::text[]::numeric[], $15::text[], $16::integer[], $17::text[], $18::text[]::numeric[], $19::text[],
                $20::text[], $21::text[], $22::text[], $23::text[]::jsonb[], $24::text[]::jsonb[], $25::integer[],
                $26::text[], $27::text[], $28::text[], $29::bigint[], $30::timestamptz[], $31::text[]::bytea[],
                $32::timestamptz[]) AS e(""" + COLUMNS + "))";

    /** The Java type of each array of {@link #INPUT}. */
    private static final Class<?>[] COLUMN_TYPES = {String.class, String.class, OffsetDateTime.class, String.class,
            String.class, String.class, String.class, String.class, String.class, String.class, String.class,
            String.class, String.class, String.class, String.class, Integer.class, String.class, String.class,
            String.class, String.class, String.class, String.class, String.class, String.class, Integer.class,
            String.class, String.class, String.class, Long.class, OffsetDateTime.class, String.class,
            OffsetDateTime.class};

    private static final String INSERT_NEW = INPUT
            + " INSERT INTO silver.events (" + COLUMNS + ", promoted_at)"
            + " SELECT " + COLUMNS + ", now() FROM input ORDER BY event_id"
            + " ON CONFLICT (event_id) DO NOTHING RETURNING event_id";

    private static final String LOCK_EXISTING = """
            SELECT event_id, event_type, occurred_at, user_id, sku, currency, product_name, product_category,
                   product_brand, product_price::text AS product_price, product_currency
            FROM silver.events
            WHERE event_id = ANY($1::text[]) ORDER BY event_id FOR UPDATE
            """;

    private static final String EXISTING_ITEMS = """
            SELECT event_id, line_no, sku, quantity, unit_price::text AS unit_price
            FROM silver.order_items WHERE event_id = ANY($1::text[])
            ORDER BY event_id, line_no
            """;

    private static final String UPDATE_EXISTING = INPUT
            + " UPDATE silver.events AS s SET (" + COLUMNS + ", promoted_at) = ("
            + COLUMNS.replaceAll("(\\w+)", "e.$1").replace("e.first_received_at",
                    "LEAST(s.first_received_at, e.first_received_at)")
            + ", now()) FROM input e WHERE s.event_id = e.event_id"
            + " AND (e.bronze_received_at, e.bronze_id) >= (s.bronze_received_at, s.bronze_id)"
            + " AND NOT (e.payload_hash = s.payload_hash AND e.bronze_id <> s.bronze_id)"
            + " RETURNING s.event_id";

    private static final String DELETE_ITEMS = "DELETE FROM silver.order_items WHERE event_id = ANY($1::text[])";

    private static final String INSERT_ITEMS = """
            INSERT INTO silver.order_items (event_id, line_no, order_id, sku, name, category, brand, quantity,
                                            unit_price, currency)
            SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::text[], $8::integer[], $9::text[]::numeric[], $10::text[])
            ORDER BY 1, 2
            """;

    private final ObjectMapper mapper;

    public SilverWriter(ObjectMapper mapper) {
        this.mapper = mapper.copy().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }

    /** Upserts events that are distinct by event_id; returns what changed and what the replaced rows were. */
    public Uni<SilverChanges> upsert(SqlConnection connection, List<SilverEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().item(SilverChanges.NONE);
        }
        return connection.preparedQuery(INSERT_NEW).execute(columns(events))
                .map(SilverWriter::eventIds)
                .chain(inserted -> updateExisting(connection, events, inserted)
                        .call(changes -> replaceItems(connection, changes, inserted)));
    }

    private Uni<SilverChanges> updateExisting(SqlConnection connection, List<SilverEvent> events,
            List<String> inserted) {
        Set<String> fresh = new HashSet<>(inserted);
        List<SilverEvent> existing = events.stream().filter(e -> !fresh.contains(e.eventId())).toList();
        if (existing.isEmpty()) {
            return Uni.createFrom().item(new SilverChanges(written(events, fresh), List.of()));
        }
        String[] ids = existing.stream().map(SilverEvent::eventId).toArray(String[]::new);
        return connection.preparedQuery(LOCK_EXISTING).execute(Tuple.of(ids))
                .chain(before -> connection.preparedQuery(EXISTING_ITEMS).execute(Tuple.of(ids))
                        .chain(itemsBefore -> connection.preparedQuery(UPDATE_EXISTING)
                                .execute(columns(existing))
                                .map(SilverWriter::eventIds)
                                .map(updated -> changes(events, fresh, updated, before, itemsBefore))));
    }

    /** The changes, with the before-images restricted to the rows actually replaced. */
    private static SilverChanges changes(List<SilverEvent> events, Set<String> inserted, List<String> updated,
            RowSet<Row> before, RowSet<Row> itemsBefore) {
        if (updated.isEmpty()) {
            return new SilverChanges(written(events, inserted), List.of());
        }
        Set<String> changed = new HashSet<>(inserted);
        changed.addAll(updated);
        Set<String> replacedIds = new HashSet<>(updated);
        Map<String, List<SilverChanges.ReplacedItem>> items = new HashMap<>();
        for (Row row : itemsBefore) {
            if (replacedIds.contains(row.getString("event_id"))) {
                items.computeIfAbsent(row.getString("event_id"), id -> new ArrayList<>())
                        .add(new SilverChanges.ReplacedItem(row.getInteger("line_no"), row.getString("sku"),
                                row.getInteger("quantity"), new BigDecimal(row.getString("unit_price"))));
            }
        }
        List<SilverChanges.Replaced> replaced = new ArrayList<>(updated.size());
        for (Row row : before) {
            String id = row.getString("event_id");
            if (replacedIds.contains(id)) {
                String price = row.getString("product_price");
                replaced.add(new SilverChanges.Replaced(id, row.getString("event_type"),
                        row.getOffsetDateTime("occurred_at"), row.getString("user_id"), row.getString("sku"),
                        row.getString("currency"), row.getString("product_name"), row.getString("product_category"),
                        row.getString("product_brand"), price == null ? null : new BigDecimal(price),
                        row.getString("product_currency"), items.getOrDefault(id, List.of())));
            }
        }
        return new SilverChanges(written(events, changed), replaced);
    }

    private static List<SilverEvent> written(List<SilverEvent> events, Set<String> ids) {
        return events.stream().filter(e -> ids.contains(e.eventId())).toList();
    }

    /** Lines of replaced rows are deleted (inserted rows have none yet), then the lines of every changed row written. */
    private Uni<Void> replaceItems(SqlConnection connection, SilverChanges changes, List<String> inserted) {
        if (changes.changed().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<SilverEvent.OrderItem> items = new ArrayList<>();
        changes.changed().forEach(e -> items.addAll(e.items()));
        Set<String> fresh = new HashSet<>(inserted);
        String[] replaced = changes.changed().stream().map(SilverEvent::eventId).filter(id -> !fresh.contains(id))
                .toArray(String[]::new);
        Uni<Void> deleted = replaced.length == 0
                ? Uni.createFrom().voidItem()
                : connection.preparedQuery(DELETE_ITEMS).execute(Tuple.of(replaced)).replaceWithVoid();
        return deleted
                .chain(() -> items.isEmpty()
                        ? Uni.createFrom().voidItem()
                        : connection.preparedQuery(INSERT_ITEMS).execute(itemColumns(items)).replaceWithVoid());
    }

    private static List<String> eventIds(RowSet<Row> rows) {
        List<String> ids = new ArrayList<>(rows.size());
        for (Row row : rows) {
            ids.add(row.getString("event_id"));
        }
        return ids;
    }

    /** The events as one array per column, in the order of {@link #COLUMNS}. */
    private Tuple columns(List<SilverEvent> events) {
        int n = events.size();
        Object[][] columns = new Object[COLUMN_TYPES.length][];
        for (int k = 0; k < columns.length; k++) {
            columns[k] = (Object[]) Array.newInstance(COLUMN_TYPES[k], n);
        }
        for (int i = 0; i < n; i++) {
            SilverEvent e = events.get(i);
            Object[] row = {e.eventId(), e.eventType(), e.occurredAt(), e.userId(), e.anonymousId(), e.sessionId(),
                    e.pageUrl(), e.pageReferrer(), e.pageTitle(), e.sku(), e.productName(), e.productCategory(),
                    e.productBrand(), number(e.productPrice()), e.productCurrency(), e.quantity(), e.orderId(),
                    number(e.orderTotal()), e.currency(), e.ipHash(), e.userAgent(), e.locale(), json(e.properties()),
                    json(e.attributes()), e.schemaVersion(), e.cloudeventSource(), e.source(), e.channel(),
                    e.bronzeId(), e.bronzeReceivedAt(), e.payloadHash(), e.firstReceivedAt()};
            for (int k = 0; k < row.length; k++) {
                columns[k][i] = row[k];
            }
        }
        return Tuple.tuple(Arrays.asList((Object[]) columns));
    }

    private static Tuple itemColumns(List<SilverEvent.OrderItem> items) {
        int n = items.size();
        String[] eventIds = new String[n], orderIds = new String[n], skus = new String[n], names = new String[n],
                categories = new String[n], brands = new String[n], prices = new String[n], currencies = new String[n];
        Integer[] lines = new Integer[n], quantities = new Integer[n];
        for (int i = 0; i < n; i++) {
            SilverEvent.OrderItem item = items.get(i);
            eventIds[i] = item.eventId();
            lines[i] = item.lineNo();
            orderIds[i] = item.orderId();
            skus[i] = item.sku();
            names[i] = item.name();
            categories[i] = item.category();
            brands[i] = item.brand();
            quantities[i] = item.quantity();
            prices[i] = number(item.unitPrice());
            currencies[i] = item.currency();
        }
        return Tuple.tuple(Arrays.asList(eventIds, lines, orderIds, skus, names, categories, brands, quantities,
                prices, currencies));
    }

    private static String number(BigDecimal value) {
        return value == null ? null : value.toString();
    }

    private String json(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write silver JSON", e);
        }
    }
}
