package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/**
 * The three endpoints deploy/'s Deployment probes answer UP; readiness lists PostgreSQL and the migrations (what
 * stops webhook serving) and not the Kafka broker, whose state is in its own group.
 */
@QuarkusTest
class ProbeEndpointsTest {

    @Test
    void startupLivenessAndReadinessAnswerUp() {
        for (String path : new String[]{"/q/health/started", "/q/health/live", "/q/health/ready"}) {
            given().when().get(path).then().statusCode(200).body("status", equalTo("UP"));
        }
        given().when().get("/q/health/ready")
                .then()
                .body("checks.name", hasItems(DatabaseHealthCheck.NAME, MigrationsHealthCheck.NAME))
                .body("checks.name", not(hasItem(KafkaHealthCheck.NAME)));
        given().when().get("/q/health/group/kafka")
                .then().statusCode(200).body("checks.name", hasItem(KafkaHealthCheck.NAME));
    }
}
