package io.sluice.promotion;

import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * The promoter does not run by itself (no sweep, no LISTEN): tests land bronze and drive {@link Promoter#drain()}
 * themselves. Small batches, few attempts and short backoffs keep the tests quick.
 */
public class ManualPromotionProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("sluice.promotion.enabled", "false");
        overrides.put("sluice.promotion.batch-size", "200");
        overrides.put("sluice.promotion.max-attempts", "3");
        overrides.put("sluice.promotion.initial-backoff", "10ms");
        overrides.put("sluice.promotion.max-backoff", "40ms");
        overrides.put("sluice.promotion.lag-refresh", "1s");
        return overrides;
    }
}
