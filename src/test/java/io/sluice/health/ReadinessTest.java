package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** With PostgreSQL unreachable, readiness is DOWN and names the database; liveness stays UP. */
@QuarkusTest
@TestProfile(UnreachableDatabaseProfile.class)
class ReadinessTest {

    @Test
    void readinessIsDownWhilePostgresIsUnreachable() {
        given().when().get("/q/health/ready")
                .then()
                .statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.findAll { it.status == 'DOWN' }.name",
                        hasItem(DatabaseHealthCheck.NAME));
    }

    @Test
    void livenessStaysUp() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }
}
