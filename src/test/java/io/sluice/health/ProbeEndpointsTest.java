package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** The three endpoints deploy/'s Deployment probes answer UP, and readiness lists all three dependencies. */
@QuarkusTest
class ProbeEndpointsTest {

    @Test
    void startupLivenessAndReadinessAnswerUp() {
        for (String path : new String[]{"/q/health/started", "/q/health/live", "/q/health/ready"}) {
            given().when().get(path).then().statusCode(200).body("status", equalTo("UP"));
        }
        given().when().get("/q/health/ready")
                .then()
                .body("checks.name", hasItems("Reactive PostgreSQL connections health check",
                        "SmallRye Reactive Messaging - readiness check", MigrationsHealthCheck.NAME));
    }
}
