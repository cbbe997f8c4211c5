package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import java.time.Duration;
import java.sql.Connection;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Meters;
import io.sluice.support.Signer;
import io.sluice.support.TcpProxy;

/**
 * PostgreSQL hangs (the proxy stops forwarding without closing, as a frozen host or a SIGSTOPped server would) for
 * this instance only: readiness answers DOWN within its bound instead of waiting, the stalls are counted, the promoter
 * gives up its round instead of waiting for ever, and everything heals without a restart when PostgreSQL answers
 * again. The service's sessions carry PostgreSQL's lock timeout (and the statement and idle-in-transaction ones):
 * a lock an operator holds makes a webhook answer 503 with Retry-After after it, not wait as long as the lock.
 */
@QuarkusTest
@TestProfile(HungDatabaseProfile.class)
class HungDatabaseTest {

    @Test
    void aLockHeldElsewhereIsWaitedForAtMostTheLockTimeout() throws Exception {
        try (Connection holder = Db.connect()) {
            holder.setAutoCommit(false);
            try (Statement statement = holder.createStatement()) {
                // an operator's long transaction: every insert into bronze.events waits for it
                statement.execute("LOCK TABLE bronze.events IN SHARE MODE");
            }
            long started = System.nanoTime();
            Signer.post(Events.pageView(Events.freshId())).then().statusCode(503).header("Retry-After", notNullValue());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("answer while the lock is held")
                    .isLessThan(Duration.ofSeconds(20));
            holder.rollback();
        }
        String id = Events.freshId();
        Signer.post(Events.pageView(id)).then().statusCode(202);
    }

    @Test
    void aHungDatabaseMakesReadinessDownQuicklyAndCountsStalls() throws Exception {
        given().when().get("/q/health/ready").then().statusCode(200);
        String before = Meters.scrape();
        double healthStalls = Meters.sum(before, "sluice_database_stalls_total", "operation=\"health\"");
        double promotionStalls = Meters.sum(before, "sluice_database_stalls_total", "operation=\"promotion\"");
        TcpProxy.postgres().hang();
        try {
            for (int i = 0; i < 3; i++) {
                long started = System.nanoTime();
                given().when().get("/q/health/ready").then().statusCode(503)
                        .body("status", equalTo("DOWN"))
                        .body("checks.findAll { it.status == 'DOWN' }.name", hasItem(DatabaseHealthCheck.NAME));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("readiness answer while hung")
                        .isLessThan(Duration.ofSeconds(15));
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                String now = Meters.scrape();
                assertThat(Meters.sum(now, "sluice_database_stalls_total", "operation=\"health\""))
                        .isGreaterThan(healthStalls);
                assertThat(Meters.sum(now, "sluice_database_stalls_total", "operation=\"promotion\""))
                        .as("the promoter's round gave up").isGreaterThan(promotionStalls);
            });
        } finally {
            TcpProxy.postgres().restore();
        }
        await().atMost(Duration.ofSeconds(90)).untilAsserted(
                () -> given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP")));
        String id = Events.freshId();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> Signer.post(Events.pageView(id)).then()
                .statusCode(202));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM silver.events WHERE event_id = ?", id)).isEqualTo(1));
    }
}
