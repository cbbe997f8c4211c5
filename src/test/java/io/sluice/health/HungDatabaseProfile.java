package io.sluice.health;

import java.util.HashMap;
import java.util.Map;

import io.sluice.support.ProxiedDatabaseProfile;

/** Proxied PostgreSQL (so a test can hang it), with short promotion-round and lock bounds to see them quickly. */
public class HungDatabaseProfile extends ProxiedDatabaseProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
        overrides.put("sluice.promotion.round-timeout", "5s");
        overrides.put("sluice.database.lock-timeout", "2s");
        return overrides;
    }
}
