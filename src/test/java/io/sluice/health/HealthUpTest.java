package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** With the real PostgreSQL and Kafka running, readiness (PostgreSQL, migrations) and the kafka group are UP. */
@QuarkusTest
class HealthUpTest {

    @Test
    void readinessIsUpWithPostgresAndKafka() {
        given().when().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems(DatabaseHealthCheck.NAME, MigrationsHealthCheck.NAME));
        given().when().get("/q/health/group/kafka")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems(KafkaHealthCheck.NAME));
    }
}
