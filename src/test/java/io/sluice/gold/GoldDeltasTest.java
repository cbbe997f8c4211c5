package io.sluice.gold;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.sluice.silver.SilverChanges;
import io.sluice.silver.SilverEvent;

/** A batch's gold deltas: one entry per gold row, +1 for new rows and -1 for the rows they replaced. */
class GoldDeltasTest {

    private static final OffsetDateTime T = OffsetDateTime.parse("2001-01-01T23:30:00-02:00");

    @Test
    void aBatchCollapsesToOneDeltaPerGoldRow() {
        var deltas = GoldDeltas.of(new SilverChanges(List.of(
                product("v1", "product_view", "u1", T, "s1", "5"),
                product("v2", "product_view", "u1", T.plusHours(1), "s1", "5"),
                product("c1", "add_to_cart", "u2", T, "s2", "7"),
                purchase("p1", "u2", T, item("p1", 1, "s1", 2, "1.50"), item("p1", 2, "s1", 1, "1.50"),
                        item("p1", 3, "s2", 1, "4"))),
                List.of()));

        LocalDate day = LocalDate.parse("2001-01-02");
        assertThat(deltas.days()).containsExactly(day);
        assertThat(deltas.customers()).containsOnlyKeys("u1", "u2");
        assertThat(deltas.customers().get("u1")).isEqualTo(new GoldDeltas.Seen(T, T.plusHours(1)));
        assertThat(deltas.productMetrics()).containsOnly(
                entry(day, "s1", new GoldDeltas.ProductMetrics(2, 0, 0, 3, 1)),
                entry(day, "s2", new GoldDeltas.ProductMetrics(0, 1, 0, 1, 1)));
        assertThat(deltas.revenue()).hasSize(1);
        assertThat(deltas.revenue().get(new GoldDeltas.DayCurrency(day, "EUR")).revenue())
                .isEqualByComparingTo("8.50");
        assertThat(deltas.lines()).hasSize(3);
        assertThat(deltas.lockedSkus()).containsExactly("s1", "s2");
        assertThat(deltas.productEvents()).extracting(SilverEvent::eventId).containsExactly("v1", "v2", "c1");
        assertThat(deltas.rebuiltSkus()).isEmpty();
        assertThat(deltas.recheckedUsers()).isEmpty();
    }

    @Test
    void aReplayCancelsOutAndAChangedProductEventRebuildsItsSku() {
        var replay = GoldDeltas.of(new SilverChanges(List.of(product("v1", "product_view", "u1", T, "s1", "5.0")),
                List.of(replaced("v1", "u1", T, "s1", "5.00"))));
        assertThat(replay.productMetrics()).isEmpty();
        assertThat(replay.rebuiltSkus()).isEmpty();
        assertThat(replay.recheckedUsers()).isEmpty();
        assertThat(replay.productEvents()).hasSize(1);

        var corrected = GoldDeltas.of(new SilverChanges(
                List.of(product("v1", "product_view", "u9", T.plusDays(1), "s1", "6")),
                List.of(replaced("v1", "u1", T, "s1", "5"))));
        assertThat(corrected.rebuiltSkus()).containsExactly("s1");
        assertThat(corrected.productEvents()).isEmpty();
        assertThat(corrected.recheckedUsers()).containsExactly("u1");
        assertThat(corrected.productMetrics()).hasSize(2);
    }

    private static java.util.Map.Entry<GoldDeltas.DaySku, GoldDeltas.ProductMetrics> entry(LocalDate day, String sku,
            GoldDeltas.ProductMetrics m) {
        return java.util.Map.entry(new GoldDeltas.DaySku(day, sku), m);
    }

    private static SilverChanges.Replaced replaced(String id, String user, OffsetDateTime at, String sku,
            String price) {
        return new SilverChanges.Replaced(id, "product_view", at, user, sku, null, "Lamp", null, null,
                new BigDecimal(price), "EUR", List.of());
    }

    private static SilverEvent product(String id, String type, String user, OffsetDateTime at, String sku,
            String price) {
        return new SilverEvent(id, type, at, user, null, null, null, null, null, sku, "Lamp", null, null,
                new BigDecimal(price), "EUR", null, null, null, null, null, null, null, null, null, 1, null, "t",
                "webhook", 1, at, "00", at, List.of());
    }

    private static SilverEvent purchase(String id, String user, OffsetDateTime at, SilverEvent.OrderItem... items) {
        return new SilverEvent(id, "purchase", at, user, null, null, null, null, null, null, null, null, null, null,
                null, null, id, null, "EUR", null, null, null, null, null, 1, null, "t", "webhook", 1, at, "00", at,
                List.of(items));
    }

    private static SilverEvent.OrderItem item(String id, int line, String sku, int quantity, String price) {
        return new SilverEvent.OrderItem(id, line, id, sku, null, null, null, quantity, new BigDecimal(price), "EUR");
    }
}
