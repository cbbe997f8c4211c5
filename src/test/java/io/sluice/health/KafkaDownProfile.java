package io.sluice.health;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * The Kafka broker is down for this instance only: its bootstrap points at a closed port (the shared broker other
 * tests use keeps running). PostgreSQL is the real one.
 */
public class KafkaDownProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("kafka.bootstrap.servers", "127.0.0.1:1",
                "sluice.promotion.enabled", "false");
    }
}
