package io.sluice.gold;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.sluice.silver.SilverChanges;
import io.sluice.silver.SilverEvent;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Brings gold up to date with one silver upsert, in the caller's transaction: the batch's {@link GoldDeltas}, sent as
 * arrays to the units of {@code db/migration/R__gold_functions.sql}, one statement each, in the order that fixes the
 * lock order (dates, sku locks, facts removed, SCD 2, facts added, daily metrics, customers). The rows every concurrent
 * promotion touches (daily metrics, revenue, customers) are locked last, so those locks are held only until the commit;
 * facts of users seen for the first time get their customer once apply_customers has made it. A unit with nothing to do
 * is not called.
 */
@ApplicationScoped
public class GoldWriter {

    static final String ADD_DAYS = "SELECT gold.add_days($1::date[])";
    static final String APPLY_CUSTOMERS = "SELECT gold.apply_customers($1::text[], $2::timestamptz[], $3::timestamptz[], $4::text[])";
    static final String LOCK_SKUS = "SELECT gold.lock_skus($1::text[])";
    static final String REMOVE_ORDER_LINES = "SELECT gold.remove_order_lines($1::text[])";
    static final String REBUILD_PRODUCTS = "SELECT gold.rebuild_products($1::text[])";
    static final String FIT_PRODUCT_EVENTS = """
            SELECT gold.fit_product_events($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                                           $6::text[], $7::text[]::numeric[], $8::text[])""";
    static final String ADD_ORDER_LINES = """
            SELECT gold.add_order_lines($1::text[], $2::integer[], $3::text[], $4::timestamptz[], $5::text[],
                                        $6::text[], $7::integer[], $8::text[]::numeric[], $9::text[])""";
    static final String ADD_PRODUCT_METRICS = """
            SELECT gold.add_product_metrics($1::date[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[],
                                            $6::bigint[], $7::bigint[])""";
    static final String LINK_CUSTOMERS = "SELECT gold.link_customers($1::text[])";
    static final String ADD_REVENUE = "SELECT gold.add_revenue($1::date[], $2::text[], $3::bigint[], $4::text[]::numeric[])";

    public Uni<Void> apply(SqlConnection connection, SilverChanges changes) {
        GoldDeltas d = GoldDeltas.of(changes);
        if (d.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return run(connection, ADD_DAYS, Tuple.of(d.days().toArray(LocalDate[]::new)))
                .chain(() -> run(connection, LOCK_SKUS, Tuple.of(d.lockedSkus().toArray(String[]::new))))
                .chain(() -> d.removedPurchases().isEmpty()
                        ? done()
                        : run(connection, REMOVE_ORDER_LINES, Tuple.of(d.removedPurchases().toArray(String[]::new))))
                .chain(() -> d.rebuiltSkus().isEmpty()
                        ? done()
                        : run(connection, REBUILD_PRODUCTS, Tuple.of(d.rebuiltSkus().toArray(String[]::new))))
                .chain(() -> d.productEvents().isEmpty() ? done() : productEvents(connection, d.productEvents()))
                .chain(() -> d.lines().isEmpty() ? Uni.createFrom().item(new String[0]) : lines(connection, d.lines()))
                .call(() -> d.productMetrics().isEmpty() ? done() : productMetrics(connection, d))
                .call(() -> d.revenue().isEmpty() ? done() : revenue(connection, d))
                .call(() -> customers(connection, d))
                .chain(newCustomersLines -> newCustomersLines.length == 0
                        ? done()
                        : run(connection, LINK_CUSTOMERS, Tuple.of((Object) newCustomersLines)));
    }

    private static Uni<Void> customers(SqlConnection connection, GoldDeltas d) {
        if (d.customers().isEmpty() && d.recheckedUsers().isEmpty()) {
            return done();
        }
        List<Map.Entry<String, GoldDeltas.Seen>> seen = new ArrayList<>(d.customers().entrySet());
        return run(connection, APPLY_CUSTOMERS, Tuple.of(
                column(seen, Map.Entry::getKey, String[]::new),
                column(seen, e -> e.getValue().first(), OffsetDateTime[]::new),
                column(seen, e -> e.getValue().last(), OffsetDateTime[]::new),
                d.recheckedUsers().toArray(String[]::new)));
    }

    private static Uni<Void> productEvents(SqlConnection connection, List<SilverEvent> events) {
        return run(connection, FIT_PRODUCT_EVENTS, Tuple.tuple(List.of(
                column(events, SilverEvent::sku, String[]::new),
                column(events, SilverEvent::eventId, String[]::new),
                column(events, SilverEvent::occurredAt, OffsetDateTime[]::new),
                column(events, SilverEvent::productName, String[]::new),
                column(events, SilverEvent::productCategory, String[]::new),
                column(events, SilverEvent::productBrand, String[]::new),
                column(events, e -> number(e.productPrice()), String[]::new),
                column(events, SilverEvent::productCurrency, String[]::new))));
    }

    /** Adds the lines; returns the purchases whose user had no customer row yet (linked after apply_customers). */
    private static Uni<String[]> lines(SqlConnection connection, List<GoldDeltas.Line> lines) {
        return connection.preparedQuery(ADD_ORDER_LINES).execute(Tuple.tuple(List.of(
                column(lines, GoldDeltas.Line::eventId, String[]::new),
                column(lines, GoldDeltas.Line::lineNo, Integer[]::new),
                column(lines, GoldDeltas.Line::orderId, String[]::new),
                column(lines, GoldDeltas.Line::occurredAt, OffsetDateTime[]::new),
                column(lines, GoldDeltas.Line::userId, String[]::new),
                column(lines, GoldDeltas.Line::sku, String[]::new),
                column(lines, GoldDeltas.Line::quantity, Integer[]::new),
                column(lines, l -> number(l.unitPrice()), String[]::new),
                column(lines, GoldDeltas.Line::currency, String[]::new))))
                .map(rows -> rows.iterator().next().getArrayOfStrings(0));
    }

    private static Uni<Void> productMetrics(SqlConnection connection, GoldDeltas d) {
        List<Map.Entry<GoldDeltas.DaySku, GoldDeltas.ProductMetrics>> m = new ArrayList<>(
                d.productMetrics().entrySet());
        return run(connection, ADD_PRODUCT_METRICS, Tuple.tuple(List.of(
                column(m, e -> e.getKey().day(), LocalDate[]::new),
                column(m, e -> e.getKey().sku(), String[]::new),
                column(m, e -> e.getValue().views(), Long[]::new),
                column(m, e -> e.getValue().addToCarts(), Long[]::new),
                column(m, e -> e.getValue().removeFromCarts(), Long[]::new),
                column(m, e -> e.getValue().unitsSold(), Long[]::new),
                column(m, e -> e.getValue().orders(), Long[]::new))));
    }

    private static Uni<Void> revenue(SqlConnection connection, GoldDeltas d) {
        List<Map.Entry<GoldDeltas.DayCurrency, GoldDeltas.Revenue>> r = new ArrayList<>(d.revenue().entrySet());
        return run(connection, ADD_REVENUE, Tuple.of(
                column(r, e -> e.getKey().day(), LocalDate[]::new),
                column(r, e -> e.getKey().currency(), String[]::new),
                column(r, e -> e.getValue().orders(), Long[]::new),
                column(r, e -> number(e.getValue().revenue()), String[]::new)));
    }

    private static <T, C> C[] column(List<T> rows, Function<T, C> value, java.util.function.IntFunction<C[]> array) {
        C[] column = array.apply(rows.size());
        for (int i = 0; i < column.length; i++) {
            column[i] = value.apply(rows.get(i));
        }
        return column;
    }

    private static String number(BigDecimal value) {
        return value == null ? null : value.toPlainString();
    }

    private static Uni<Void> run(SqlConnection connection, String sql, Tuple arguments) {
        return connection.preparedQuery(sql).execute(arguments).replaceWithVoid();
    }

    private static Uni<Void> done() {
        return Uni.createFrom().voidItem();
    }
}
