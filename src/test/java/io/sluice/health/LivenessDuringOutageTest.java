package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.support.ProxiedDatabaseProfile;
import io.sluice.support.TcpProxy;

/**
 * Kubernetes must not restart a healthy pod because PostgreSQL blinked: while the database is cut off, readiness is
 * 503 DOWN (the pod leaves the Service) and liveness stays 200 UP; when it returns, readiness is UP again by itself.
 */
@QuarkusTest
@TestProfile(ProxiedDatabaseProfile.class)
class LivenessDuringOutageTest {

    private static final String POSTGRES_CHECK = DatabaseHealthCheck.NAME;

    @AfterEach
    void restore() throws IOException {
        TcpProxy.postgres().restore();
    }

    @Test
    void livenessStaysUpWhileReadinessFollowsPostgres() throws IOException {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().when().get("/q/health/ready")
                .then().statusCode(200).body("status", equalTo("UP")));

        TcpProxy.postgres().cut();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().when().get("/q/health/ready")
                .then()
                .statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.findAll { it.status == 'DOWN' }.name",
                        hasItems(POSTGRES_CHECK, MigrationsHealthCheck.NAME)));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
            given().when().get("/q/health/ready").then().statusCode(503);
        });

        TcpProxy.postgres().restore();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when().get("/q/health/ready")
                .then().statusCode(200).body("status", equalTo("UP")));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }
}
