package io.sluice.bronze;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Tiny retention batches, so a few expired rows take several batches. */
public class MaintenanceProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("sluice.bronze.retention-batch-size", "2", "sluice.bronze.maintenance-lock-timeout", "2s");
    }
}
