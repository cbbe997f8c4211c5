package io.sluice.support;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Sluice's reactive connections go through {@link TcpProxy#postgres()}, so a test can cut PostgreSQL for this
 * instance only (Flyway migrates directly). Use for outage tests.
 */
public class ProxiedDatabaseProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        String url = "postgresql://127.0.0.1:" + TcpProxy.postgres().port() + "/"
                + Db.env("SLUICE_DB_TEST_NAME", "sluice_test");
        // the %test key too: application.properties sets %test.quarkus.datasource.reactive.url, and a profiled key
        // wins over an unprofiled one whatever its source
        return Map.of("quarkus.datasource.reactive.url", url, "%test.quarkus.datasource.reactive.url", url);
    }
}
