package io.sluice.health;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Points Sluice at a closed port: PostgreSQL is unreachable from the start. */
public class UnreachableDatabaseProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "quarkus.datasource.reactive.url", "postgresql://127.0.0.1:1/sluice_test",
                "quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1:1/sluice_test",
                "quarkus.flyway.migrate-at-start", "false",
                "sluice.promotion.enabled", "false",
                "mp.messaging.incoming.events.enabled", "false");
    }
}
