package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.support.Db;

/** Readiness names the migration check, and the version it expects is the latest one applied in the database. */
@QuarkusTest
class MigrationsReadinessTest {

    @Test
    void readinessReportsTheLatestMigrationApplied() {
        List<Map<String, Object>> history = Db.rows(
                "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL "
                        + "ORDER BY installed_rank DESC LIMIT 1");
        String latest = (String) history.get(0).get("version");

        Map<String, Object> check = given().when().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'Database migrations' }.status", equalTo("UP"))
                .extract().path("checks.find { it.name == 'Database migrations' }.data");

        assertThat(check).containsEntry("expected", latest).containsEntry("applied", latest)
                .containsEntry("failed", 0);
    }

    /**
     * A repeatable migration has no version: its failure must still take the instance out of service, or a broken
     * R__gold_functions.sql would leave the old gold units running behind a green readiness.
     */
    @Test
    void aFailedRepeatableMigrationMakesReadinessDown() {
        String rank = "(SELECT max(installed_rank) + 1000 FROM flyway_schema_history)";
        Db.executeAsOwner("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
                + "checksum, installed_by, execution_time, success) SELECT " + rank + ", NULL, 'broken units', 'SQL', "
                + "'R__broken.sql', 0, current_user, 0, false");
        try {
            given().when().get("/q/health/ready")
                    .then()
                    .statusCode(503)
                    .body("checks.find { it.name == 'Database migrations' }.status", equalTo("DOWN"))
                    .body("checks.find { it.name == 'Database migrations' }.data.failed", equalTo(1));
        } finally {
            Db.executeAsOwner("DELETE FROM flyway_schema_history WHERE script = 'R__broken.sql'");
        }
        given().when().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void versionsAreReadFromFlywayFileNames() {
        assertThat(MigrationsHealthCheck.version("V6__ops.sql")).hasValueSatisfying(
                v -> assertThat(v.getVersion()).isEqualTo("6"));
        assertThat(MigrationsHealthCheck.version("V1_1__fix.sql")).hasValueSatisfying(
                v -> assertThat(v.getVersion()).isEqualTo("1.1"));
        assertThat(MigrationsHealthCheck.version("R__views.sql")).isEmpty();
    }
}
