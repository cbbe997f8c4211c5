package io.sluice.gold;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.promotion.ManualPromotionProfile;
import io.sluice.support.Db;

/**
 * The non-SCD 2 units of R__gold_functions.sql on crafted inputs, each in a transaction that is rolled back: dates,
 * customers, sku locks, facts and the two daily metrics tables.
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class GoldUnitsTest {

    private final String run = "gu-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void addDaysInsertsEachDayOnceWithItsCalendarAttributes() {
        try (GoldSql db = new GoldSql()) {
            db.execute("SELECT gold.add_days(ARRAY['1901-12-30'::date, '1901-12-30', '1901-12-31'])");
            db.execute("SELECT gold.add_days(ARRAY['1901-12-31'::date])");
            assertThat(db.column("""
                    SELECT concat_ws('|', date_key, year, quarter, month, day, iso_week, day_of_week)
                    FROM gold.dim_date WHERE date BETWEEN '1901-12-30' AND '1901-12-31' ORDER BY date"""))
                    .containsExactly("19011230|1901|4|12|30|1|1", "19011231|1901|4|12|31|1|2");
        }
    }

    @Test
    void applyCustomersWidensTheSeenWindowAndRecomputesOrDropsRecheckedUsers() {
        String a = run + "-a", b = run + "-b", c = run + "-c";
        try (GoldSql db = new GoldSql()) {
            db.execute("SELECT gold.apply_customers(ARRAY[?, ?], ARRAY['2001-01-05Z'::timestamptz, '2001-01-05Z'],"
                    + " ARRAY['2001-01-06Z'::timestamptz, '2001-01-07Z'], '{}')", a, b);
            db.execute("SELECT gold.apply_customers(ARRAY[?], ARRAY['2001-01-01Z'::timestamptz],"
                    + " ARRAY['2001-01-02Z'::timestamptz], '{}')", a);
            assertThat(customers(db)).containsExactly(a + "|2001-01-01|2001-01-06", b + "|2001-01-05|2001-01-07");

            // b's rows moved: silver now says b was seen on the 3rd only; c has no silver rows left
            silver(db, run + "-e1", b, "2001-01-03T00:00:00Z");
            db.execute("SELECT gold.apply_customers(ARRAY[?], ARRAY['2001-01-09Z'::timestamptz],"
                    + " ARRAY['2001-01-09Z'::timestamptz], '{}')", c);
            db.execute("SELECT gold.apply_customers('{}', '{}', '{}', ARRAY[?, ?])", b, c);
            assertThat(customers(db)).containsExactly(a + "|2001-01-01|2001-01-06", b + "|2001-01-03|2001-01-03");
        }
    }

    @Test
    void lockSkusHoldsATransactionLockPerSkuThatAnotherTransactionCannotTake() throws Exception {
        String sku = run + "-sku";
        try (GoldSql db = new GoldSql(); Connection other = Db.connect()) {
            db.execute("SELECT gold.lock_skus(ARRAY[?, ?, NULL])", sku, sku + "-2");
            try (ResultSet rs = other.createStatement().executeQuery(
                    "SELECT pg_try_advisory_xact_lock(gold.sku_lock_key('" + sku + "')),"
                            + " pg_try_advisory_xact_lock(gold.sku_lock_key('" + sku + "-3'))")) {
                rs.next();
                assertThat(rs.getBoolean(1)).isFalse();
                assertThat(rs.getBoolean(2)).isTrue();
            }
        }
    }

    @Test
    void orderLinesPointAtTheirCustomerAndTheVersionOfTheirTimeAndGoWhenRemoved() {
        String sku = run + "-sku", user = run + "-u";
        try (GoldSql db = new GoldSql()) {
            db.execute("SELECT gold.add_days(ARRAY['2001-01-01'::date])");
            db.execute("SELECT gold.apply_customers(ARRAY[?], ARRAY['2001-01-01Z'::timestamptz],"
                    + " ARRAY['2001-01-01Z'::timestamptz], '{}')", user);
            db.execute(
                    """
                            INSERT INTO gold.dim_product (sku, price, valid_from, valid_to, is_current) VALUES
                                (?, 5, '2001-01-01T10:00Z', '2001-01-01T12:00Z', false), (?, 6, '2001-01-01T12:00Z', NULL, true)""",
                    sku, sku);
            db.execute("""
                    SELECT gold.add_order_lines(ARRAY[?, ?, ?], ARRAY[1, 2, 1], ARRAY['o1', 'o1', 'o2'],
                        ARRAY['2001-01-01T09:00Z'::timestamptz, '2001-01-01T09:00Z', '2001-01-01T13:00Z'],
                        ARRAY[?, ?, NULL], ARRAY[?, ?, ?], ARRAY[2, 1, 3], ARRAY[1.50, 2, 4]::numeric[],
                        ARRAY['EUR', 'EUR', 'EUR'])""",
                    run + "-p1", run + "-p1", run + "-p2", user, user, sku, sku, sku);
            assertThat(db.column("""
                    SELECT concat_ws('|', f.event_id, f.line_no, f.date_key, p.price, c.user_id, f.revenue)
                    FROM gold.fact_order_line f
                    LEFT JOIN gold.dim_product p ON p.product_key = f.product_key
                    LEFT JOIN gold.dim_customer c ON c.customer_key = f.customer_key
                    WHERE f.sku = ? ORDER BY f.event_id, f.line_no""", sku))
                    .containsExactly(run + "-p1|1|20010101|5|" + user + "|3.00",
                            run + "-p1|2|20010101|5|" + user + "|2", run + "-p2|1|20010101|6|12");

            db.execute("SELECT gold.remove_order_lines(ARRAY[?])", run + "-p1");
            assertThat(db.column("SELECT event_id FROM gold.fact_order_line WHERE sku = ?", sku))
                    .containsExactly(run + "-p2");
        }
    }

    @Test
    void linesOfAUserSeenForTheFirstTimeGetTheirCustomerOnceApplyCustomersHasMadeIt() {
        String sku = run + "-sku", known = run + "-known", fresh = run + "-fresh";
        try (GoldSql db = new GoldSql()) {
            db.execute("SELECT gold.add_days(ARRAY['2001-01-01'::date])");
            db.execute("SELECT gold.apply_customers(ARRAY[?], ARRAY['2001-01-01Z'::timestamptz],"
                    + " ARRAY['2001-01-01Z'::timestamptz], '{}')", known);
            silver(db, run + "-p1", known, "2001-01-01T09:00:00Z");
            silver(db, run + "-p2", fresh, "2001-01-01T10:00:00Z");
            silver(db, run + "-p3", null, "2001-01-01T11:00:00Z");
            Object missing = db.value("""
                    SELECT gold.add_order_lines(ARRAY[?, ?, ?, ?], ARRAY[1, 1, 2, 1], ARRAY['o1', 'o2', 'o2', 'o3'],
                        ARRAY['2001-01-01T09:00Z'::timestamptz, '2001-01-01T10:00Z', '2001-01-01T10:00Z',
                              '2001-01-01T11:00Z'],
                        ARRAY[?, ?, ?, NULL], ARRAY[?, ?, ?, ?], ARRAY[1, 1, 1, 1], ARRAY[1, 1, 1, 1]::numeric[],
                        ARRAY['EUR', 'EUR', 'EUR', 'EUR'])::text""",
                    run + "-p1", run + "-p2", run + "-p2", run + "-p3", known, fresh, fresh, sku, sku, sku, sku);
            assertThat(missing).isEqualTo("{" + run + "-p2}");
            assertThat(factCustomers(db, sku)).containsExactly(run + "-p1|" + known, run + "-p2|-", run + "-p2|-",
                    run + "-p3|-");

            db.execute("SELECT gold.apply_customers(ARRAY[?], ARRAY['2001-01-01T10:00Z'::timestamptz],"
                    + " ARRAY['2001-01-01T10:00Z'::timestamptz], '{}')", fresh);
            db.execute("SELECT gold.link_customers(ARRAY[?])", run + "-p2");
            assertThat(factCustomers(db, sku)).containsExactly(run + "-p1|" + known, run + "-p2|" + fresh,
                    run + "-p2|" + fresh, run + "-p3|-");
        }
    }

    private static java.util.List<String> factCustomers(GoldSql db, String sku) {
        return db.column("""
                SELECT f.event_id || '|' || coalesce(c.user_id, '-') FROM gold.fact_order_line f
                LEFT JOIN gold.dim_customer c ON c.customer_key = f.customer_key
                WHERE f.sku = ? ORDER BY f.event_id, f.line_no""", sku);
    }

    @Test
    void productMetricsTakeOneDeltaPerDayAndSkuAndRowsThatReachZeroGo() {
        String sku = run + "-sku", other = run + "-other";
        try (GoldSql db = new GoldSql()) {
            db.execute("SELECT gold.add_product_metrics(ARRAY['2001-01-01'::date, '2001-01-01'], ARRAY[?, ?],"
                    + " ARRAY[3, 1]::bigint[], ARRAY[1, 0]::bigint[], ARRAY[0, 0]::bigint[], ARRAY[4, 0]::bigint[],"
                    + " ARRAY[2, 0]::bigint[])", sku, other);
            db.execute("SELECT gold.add_product_metrics(ARRAY['2001-01-01'::date, '2001-01-01'], ARRAY[?, ?],"
                    + " ARRAY[-1, -1]::bigint[], ARRAY[0, 0]::bigint[], ARRAY[1, 0]::bigint[], ARRAY[0, 0]::bigint[],"
                    + " ARRAY[0, 0]::bigint[])", sku, other);
            assertThat(db.column("""
                    SELECT concat_ws('|', sku, views, add_to_carts, remove_from_carts, units_sold, orders)
                    FROM gold.daily_product_metrics WHERE sku LIKE ? ORDER BY sku""", run + "%"))
                    .containsExactly(sku + "|2|1|1|4|2");
        }
    }

    @Test
    void revenueTakesOneDeltaPerDayAndCurrencyAndRowsThatReachZeroGo() {
        try (GoldSql db = new GoldSql()) {
            db.execute("SELECT gold.add_revenue(ARRAY['1900-01-01'::date, '1900-01-01'], ARRAY['XAA', 'XAB'],"
                    + " ARRAY[2, 1]::bigint[], ARRAY[10.50, 3]::numeric[])");
            db.execute("SELECT gold.add_revenue(ARRAY['1900-01-01'::date, '1900-01-01'], ARRAY['XAA', 'XAB'],"
                    + " ARRAY[-1, -1]::bigint[], ARRAY[-0.50, -3]::numeric[])");
            assertThat(db.column("""
                    SELECT concat_ws('|', currency, orders, revenue) FROM gold.daily_revenue
                    WHERE day = '1900-01-01' AND currency IN ('XAA', 'XAB') ORDER BY currency"""))
                    .containsExactly("XAA|1|10.00");
        }
    }

    private void silver(GoldSql db, String eventId, String user, String at) {
        db.execute("""
                INSERT INTO silver.events (event_id, event_type, occurred_at, user_id, source, channel, bronze_id,
                    bronze_received_at, payload_hash, first_received_at)
                VALUES (?, 'page_view', ?::timestamptz, ?, 'test', 'webhook', 0, now(), '\\x00', now())""", eventId,
                at, user);
    }

    private java.util.List<String> customers(GoldSql db) {
        return db.column("""
                SELECT user_id || '|' || to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '|'
                       || to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                FROM gold.dim_customer WHERE user_id LIKE ? ORDER BY user_id""", run + "%");
    }
}
