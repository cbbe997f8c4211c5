package io.sluice.quality;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Expectations of the quality tests, each on its own event type and test partner so that the tests do not count each
 * other's events, evaluated every second by an evaluator whose clock runs an hour ahead ({@link ShiftedQualityClock}).
 */
public class QualityProfile implements QuarkusTestProfile {

    static final String SECRET = "whsec_c2x1aWNlLXF1YWxpdHktdGVzdC1zZWNyZXQtbm90LWZvci1wcm9k";
    /** Row checks: not-null, unique, accepted-values, range. */
    static final String ROWS = "quality-rows";
    static final String FRESH = "quality-fresh";
    static final String VOLUME = "quality-volume";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> p = new HashMap<>();
        for (String partner : new String[]{ROWS, FRESH, VOLUME}) {
            p.put("sluice.webhook.partners." + partner + ".secrets", SECRET);
        }
        p.put("sluice.quality.evaluate-interval", "1s");
        expectation(p, "q-not-null", "kind", "not-null", "field", "user_id", "event-types", "add_to_cart",
                "sources", ROWS, "max-ratio", "0.5", "min-rows", "4");
        expectation(p, "q-unique", "kind", "unique", "field", "order.order_id", "event-types", "purchase",
                "sources", ROWS, "max-ratio", "0.2", "min-rows", "2");
        expectation(p, "q-accepted", "kind", "accepted-values", "field", "context.locale", "event-types",
                "page_view", "sources", ROWS, "values", "en-GB,de-DE", "max-ratio", "0.25", "min-rows", "4");
        expectation(p, "q-range", "kind", "range", "field", "product.price", "event-types", "product_view",
                "sources", ROWS, "min", "0", "max", "1000", "max-ratio", "0.1", "min-rows", "2");
        expectation(p, "q-fresh", "kind", "freshness", "sources", FRESH, "max-age", "3h");
        expectation(p, "q-volume", "kind", "volume", "sources", VOLUME, "factor", "2", "min-baseline", "1");
        return p;
    }

    @Override
    public Set<Class<?>> getEnabledAlternatives() {
        return Set.of(ShiftedQualityClock.class);
    }

    private static void expectation(Map<String, String> p, String name, String... keyValues) {
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put("sluice.quality.expectations." + name + "." + keyValues[i], keyValues[i + 1]);
        }
    }
}
