package io.sluice.gold;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.sluice.silver.SilverChanges;
import io.sluice.silver.SilverEvent;

/**
 * What one silver upsert means for gold, aggregated so that each gold row is touched once per batch: the inputs of
 * the units in {@code db/migration/R__gold_functions.sql} (pure; {@link GoldWriter} sends them). New rows count +1,
 * the rows they replaced -1 with the values they had.
 */
public record GoldDeltas(Set<LocalDate> days, Map<String, Seen> customers, Set<String> recheckedUsers,
        Set<String> lockedSkus, Set<String> rebuiltSkus, List<SilverEvent> productEvents,
        List<String> removedPurchases, List<Line> lines, Map<DaySku, ProductMetrics> productMetrics,
        Map<DayCurrency, Revenue> revenue) {

    /** First and last occurred_at of a user's new rows. */
    public record Seen(OffsetDateTime first, OffsetDateTime last) {

        Seen widen(OffsetDateTime at) {
            return new Seen(at.isBefore(first) ? at : first, at.isAfter(last) ? at : last);
        }
    }

    /** A purchase line to add to fact_order_line. */
    public record Line(String eventId, int lineNo, String orderId, OffsetDateTime occurredAt, String userId,
            String sku, int quantity, BigDecimal unitPrice, String currency) {
    }

    public record DaySku(LocalDate day, String sku) {
    }

    public record DayCurrency(LocalDate day, String currency) {
    }

    public record ProductMetrics(long views, long addToCarts, long removeFromCarts, long unitsSold, long orders) {

        static final ProductMetrics ZERO = new ProductMetrics(0, 0, 0, 0, 0);

        ProductMetrics plus(ProductMetrics o) {
            return new ProductMetrics(views + o.views, addToCarts + o.addToCarts, removeFromCarts + o.removeFromCarts,
                    unitsSold + o.unitsSold, orders + o.orders);
        }

        boolean isZero() {
            return views == 0 && addToCarts == 0 && removeFromCarts == 0 && unitsSold == 0 && orders == 0;
        }
    }

    public record Revenue(long orders, BigDecimal revenue) {

        Revenue plus(Revenue o) {
            return new Revenue(orders + o.orders, revenue.add(o.revenue));
        }

        boolean isZero() {
            return orders == 0 && revenue.signum() == 0;
        }
    }

    public static final String PURCHASE = "purchase";

    /** Events that carry product attributes (gold.is_product_event). */
    public static boolean isProductEvent(String eventType) {
        return "product_view".equals(eventType) || "add_to_cart".equals(eventType)
                || "remove_from_cart".equals(eventType);
    }

    /** The UTC day of an instant (gold.utc_day). */
    public static LocalDate utcDay(OffsetDateTime at) {
        return at.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate();
    }

    public boolean isEmpty() {
        return days.isEmpty();
    }

    public static GoldDeltas of(SilverChanges changes) {
        Set<LocalDate> days = new TreeSet<>();
        Map<String, Seen> customers = new TreeMap<>();
        Set<String> rechecked = new TreeSet<>();
        Set<String> locked = new TreeSet<>();
        Set<String> rebuilt = new TreeSet<>();
        List<String> removed = new ArrayList<>();
        List<Line> lines = new ArrayList<>();
        Map<DaySku, ProductMetrics> metrics = new HashMap<>();
        Map<DayCurrency, Revenue> revenue = new HashMap<>();
        Map<String, SilverEvent> byId = new HashMap<>();

        for (SilverEvent e : changes.changed()) {
            byId.put(e.eventId(), e);
            LocalDate day = utcDay(e.occurredAt());
            days.add(day);
            if (e.userId() != null) {
                customers.merge(e.userId(), new Seen(e.occurredAt(), e.occurredAt()),
                        (a, b) -> a.widen(b.first()));
            }
            if (e.sku() != null) {
                locked.add(e.sku());
                if (isProductEvent(e.eventType())) {
                    metrics.merge(new DaySku(day, e.sku()), productCount(e.eventType(), 1), ProductMetrics::plus);
                }
            }
            if (PURCHASE.equals(e.eventType())) {
                BigDecimal total = BigDecimal.ZERO;
                Map<String, Long> units = new HashMap<>();
                for (SilverEvent.OrderItem item : e.items()) {
                    locked.add(item.sku());
                    lines.add(new Line(e.eventId(), item.lineNo(), item.orderId(), e.occurredAt(), e.userId(),
                            item.sku(), item.quantity(), item.unitPrice(), item.currency()));
                    total = total.add(item.unitPrice().multiply(BigDecimal.valueOf(item.quantity())));
                    units.merge(item.sku(), (long) item.quantity(), Long::sum);
                }
                units.forEach((sku, n) -> metrics.merge(new DaySku(day, sku), new ProductMetrics(0, 0, 0, n, 1),
                        ProductMetrics::plus));
                revenue.merge(new DayCurrency(day, e.currency()), new Revenue(1, total), Revenue::plus);
            }
        }

        for (SilverChanges.Replaced old : changes.replaced()) {
            SilverEvent now = byId.get(old.eventId());
            LocalDate day = utcDay(old.occurredAt());
            if (old.userId() != null && (now == null || !Objects.equals(now.userId(), old.userId())
                    || !now.occurredAt().isEqual(old.occurredAt()))) {
                rechecked.add(old.userId());
            }
            if (old.sku() != null) {
                locked.add(old.sku());
                if (isProductEvent(old.eventType())) {
                    metrics.merge(new DaySku(day, old.sku()), productCount(old.eventType(), -1),
                            ProductMetrics::plus);
                    if (now == null || !sameVersionInput(old, now)) {
                        rebuilt.add(old.sku());
                    }
                }
            }
            if (PURCHASE.equals(old.eventType())) {
                removed.add(old.eventId());
                BigDecimal total = BigDecimal.ZERO;
                Map<String, Long> units = new HashMap<>();
                for (SilverChanges.ReplacedItem item : old.items()) {
                    locked.add(item.sku());
                    total = total.add(item.unitPrice().multiply(BigDecimal.valueOf(item.quantity())));
                    units.merge(item.sku(), (long) item.quantity(), Long::sum);
                }
                units.forEach((sku, n) -> metrics.merge(new DaySku(day, sku), new ProductMetrics(0, 0, 0, -n, -1),
                        ProductMetrics::plus));
                revenue.merge(new DayCurrency(day, old.currency()), new Revenue(-1, total.negate()), Revenue::plus);
            }
        }

        List<SilverEvent> productEvents = changes.changed().stream()
                .filter(e -> e.sku() != null && isProductEvent(e.eventType()) && !rebuilt.contains(e.sku()))
                .toList();
        metrics.values().removeIf(ProductMetrics::isZero);
        revenue.values().removeIf(Revenue::isZero);
        return new GoldDeltas(days, customers, rechecked, locked, rebuilt, productEvents, removed, lines, metrics,
                revenue);
    }

    private static ProductMetrics productCount(String eventType, int sign) {
        return switch (eventType) {
            case "product_view" -> new ProductMetrics(sign, 0, 0, 0, 0);
            case "add_to_cart" -> new ProductMetrics(0, sign, 0, 0, 0);
            default -> new ProductMetrics(0, 0, sign, 0, 0);
        };
    }

    /** Whether a replaced product event and its replacement say the same to SCD 2 (a replay, say). */
    private static boolean sameVersionInput(SilverChanges.Replaced old, SilverEvent now) {
        return isProductEvent(now.eventType()) && Objects.equals(old.sku(), now.sku())
                && old.occurredAt().isEqual(now.occurredAt()) && Objects.equals(old.productName(), now.productName())
                && Objects.equals(old.productCategory(), now.productCategory())
                && Objects.equals(old.productBrand(), now.productBrand())
                && sameNumber(old.productPrice(), now.productPrice())
                && Objects.equals(old.productCurrency(), now.productCurrency());
    }

    private static boolean sameNumber(BigDecimal a, BigDecimal b) {
        return a == null ? b == null : b != null && a.compareTo(b) == 0;
    }
}
